using System.Text.RegularExpressions;

namespace Dapr.Profiler.Model;

/// <summary>
/// The compiled regular expressions of the matchers of one request, keyed by pattern, so that a request repeating a
/// pattern (a selector list, or one selector with many matchers) compiles it once. Not thread-safe: one per parse
/// or per request. Compiled expressions are immutable and may be shared by the matchers that use them.
/// </summary>
public sealed class RegexCache
{
    private readonly Dictionary<string, Regex> _compiled = new(StringComparer.Ordinal);

    /// <summary>The number of distinct patterns compiled.</summary>
    public int Count => _compiled.Count;

    internal delegate Regex? Compiler(string pattern, out string? error);

    internal Regex? GetOrCompile(string pattern, Compiler compile, out string? error)
    {
        if (_compiled.TryGetValue(pattern, out var regex))
        {
            error = null;
            return regex;
        }

        regex = compile(pattern, out error);
        if (regex is not null)
        {
            _compiled.Add(pattern, regex);
        }

        return regex;
    }
}
