using System.Collections.ObjectModel;
using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace Dapr.Profiler.Model;

/// <summary>
/// A PromQL-style label selector such as <c>{service_name="app", pod=~"web-.*"}</c>: a series matches when every
/// matcher matches its labels. <c>{}</c> (<see cref="All"/>) matches everything. Matchers keep the order they were
/// written in, and two selectors are equal when they have equal matchers in the same order.
/// </summary>
/// <remarks>
/// Accepted syntax: whitespace between any tokens, a trailing comma before <c>}</c>, label names
/// <c>[a-zA-Z_][a-zA-Z0-9_]*</c>, values as double-quoted or single-quoted strings with Go escapes or as backtick
/// raw strings. A name may appear in several matchers; all of them must match.
/// </remarks>
public sealed class LabelSelector : IEquatable<LabelSelector>
{
    private readonly LabelMatcher[] _matchers;

    public LabelSelector(IEnumerable<LabelMatcher> matchers)
    {
        ArgumentNullException.ThrowIfNull(matchers);
        _matchers = matchers.ToArray();
        foreach (var matcher in _matchers)
        {
            ArgumentNullException.ThrowIfNull(matcher, nameof(matchers));
        }

        Matchers = new ReadOnlyCollection<LabelMatcher>(_matchers);
    }

    /// <summary>The selector <c>{}</c>, which matches every series.</summary>
    public static LabelSelector All { get; } = new([]);

    public IReadOnlyList<LabelMatcher> Matchers { get; }

    /// <summary>Parses <c>{...}</c>.</summary>
    /// <exception cref="SelectorParseException">The text is not a valid selector; the exception gives the position.</exception>
    public static LabelSelector Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return SelectorParser.Parse(text);
    }

    /// <summary>Parses <c>{...}</c> without throwing on invalid text.</summary>
    public static bool TryParse(
        string text,
        [MaybeNullWhen(false)] out LabelSelector selector,
        [NotNullWhen(false)] out SelectorParseException? error) => TryParse(text, null, out selector, out error);

    /// <summary>
    /// Parses <c>{...}</c> without throwing on invalid text, reusing the regular expressions of
    /// <paramref name="regexes"/> (one cache per request compiles each distinct pattern once).
    /// </summary>
    public static bool TryParse(
        string text,
        RegexCache? regexes,
        [MaybeNullWhen(false)] out LabelSelector selector,
        [NotNullWhen(false)] out SelectorParseException? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        try
        {
            selector = SelectorParser.Parse(text, regexes);
            error = null;
            return true;
        }
        catch (SelectorParseException ex)
        {
            selector = null;
            error = ex;
            return false;
        }
    }

    /// <summary>
    /// Parses the query form of Pyroscope's render API, <c>metric_name{...}</c>, such as
    /// <c>process_cpu:cpu:nanoseconds:cpu:nanoseconds{service_name="app"}</c>. The prefix is the text before
    /// <c>{</c> without surrounding whitespace, made of letters, digits, <c>_</c>, <c>:</c>, <c>.</c> and <c>-</c>; it
    /// is "" when the text starts with <c>{</c>. A prefix without braces selects everything.
    /// </summary>
    /// <exception cref="SelectorParseException">The text is not valid; the exception gives the position.</exception>
    public static (string Prefix, LabelSelector Selector) ParseWithPrefix(string text, RegexCache? regexes = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        return SelectorParser.ParseWithPrefix(text, regexes);
    }

    /// <summary>True when every matcher matches the labels (a missing label counts as "").</summary>
    /// <exception cref="System.Text.RegularExpressions.RegexMatchTimeoutException">A regular expression took too long.</exception>
    public bool Matches(LabelSet labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        foreach (var matcher in _matchers)
        {
            if (!matcher.Matches(labels.Get(matcher.Name)))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// The value of the first strict equality matcher <c>name="v"</c> for the name, or null when there is none.
    /// The value is "" for <c>name=""</c>, which selects series without the label.
    /// </summary>
    public string? GetEqualValue(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        foreach (var matcher in _matchers)
        {
            if (matcher.Type == MatchType.Equal && string.Equals(matcher.Name, name, StringComparison.Ordinal))
            {
                return matcher.Value;
            }
        }

        return null;
    }

    public bool Equals(LabelSelector? other) =>
        other is not null && _matchers.AsSpan().SequenceEqual(other._matchers);

    public override bool Equals(object? obj) => Equals(obj as LabelSelector);

    public override int GetHashCode()
    {
        var hash = default(HashCode);
        foreach (var matcher in _matchers)
        {
            hash.Add(matcher);
        }

        return hash.ToHashCode();
    }

    /// <summary>Canonical text such as <c>{a="b", c=~"d"}</c>, in matcher order; it parses back to an equal selector.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder("{");
        for (var i = 0; i < _matchers.Length; i++)
        {
            if (i > 0)
            {
                sb.Append(", ");
            }

            sb.Append(_matchers[i].ToString());
        }

        return sb.Append('}').ToString();
    }
}
