using System.Text;
using Dapr.Profiler.Model;

namespace Dapr.Profiler.QueryFrontend;

/// <summary>
/// Parses the label selectors of one request within <see cref="QueryFrontendOptions.MaxSelectorLength"/> and
/// <see cref="QueryFrontendOptions.MaxMatchersPerQuery"/> (matchers counted over all of the request's selectors),
/// compiling each distinct regular expression once. One instance per request; not thread-safe.
/// </summary>
internal sealed class SelectorLimits(QueryFrontendOptions options)
{
    private readonly RegexCache _regexes = new();
    private int _matchers;

    /// <summary>The regular expressions compiled so far, for the render API's own parse.</summary>
    public RegexCache Regexes => _regexes;

    /// <summary>Parses a selector (empty text means <c>{}</c>) and counts its matchers.</summary>
    /// <exception cref="Mesh.ServiceException">invalid_argument: malformed, too long, or one matcher too many.</exception>
    public LabelSelector Parse(string? text)
    {
        CheckLength(text, options);
        if (string.IsNullOrWhiteSpace(text))
        {
            return LabelSelector.All;
        }

        if (!LabelSelector.TryParse(text, _regexes, out var selector, out var error))
        {
            throw QuerySelectors.Invalid($"parsing label selector \"{text}\": {error.Message}");
        }

        Count(selector.Matchers.Count);
        return selector;
    }

    /// <summary>Parses each of a request's <c>matchers</c>, stopping at the first one over a limit.</summary>
    public List<LabelSelector> ParseAll(IEnumerable<string> texts)
    {
        var result = new List<LabelSelector>();
        foreach (var text in texts)
        {
            result.Add(Parse(text));
        }

        return result;
    }

    /// <summary>Counts matchers parsed elsewhere (the render API's query) against the request's limit.</summary>
    public void Count(int matchers)
    {
        _matchers += matchers;
        var max = options.MaxMatchersPerQuery;
        if (max > 0 && _matchers > max)
        {
            throw QuerySelectors.Invalid(
                $"the request has more than {max} label matchers; the limit is {QueryFrontendOptions.Key(nameof(QueryFrontendOptions.MaxMatchersPerQuery))}");
        }
    }

    /// <exception cref="Mesh.ServiceException">invalid_argument: the selector text is longer than the limit.</exception>
    public static void CheckLength(string? text, QueryFrontendOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var max = options.MaxSelectorLength;
        if (text is null || max <= 0 || text.Length <= max / 3)
        {
            return;
        }

        var bytes = Encoding.UTF8.GetByteCount(text);
        if (bytes > max)
        {
            throw QuerySelectors.Invalid(
                $"a label selector is {bytes} bytes long; the limit is {max} bytes ({QueryFrontendOptions.Key(nameof(QueryFrontendOptions.MaxSelectorLength))})");
        }
    }
}
