using System.Text.RegularExpressions;

namespace Dapr.Profiler.Model;

/// <summary>
/// One matcher of a label selector, such as <c>service_name="app"</c> or <c>pod=~"web-.*"</c>. As in Prometheus, a
/// missing label has the value "", and regular expressions must match the whole value.
/// </summary>
/// <remarks>
/// Regular expressions are compiled with .NET <see cref="Regex"/> as <c>^(?:re)\z</c> (<c>\z</c>, not <c>$</c>,
/// so that a value with a trailing newline is not accepted) with <see cref="RegexOptions.CultureInvariant"/> and a
/// match timeout of <see cref="RegexMatchTimeout"/>. When matching takes longer, <see cref="Matches"/> throws
/// <see cref="RegexMatchTimeoutException"/>: the result is an error rather than a silent non-match, because
/// either answer could be wrong for a <c>!~</c> matcher.
/// </remarks>
public sealed class LabelMatcher : IEquatable<LabelMatcher>
{
    /// <summary>
    /// Linear-time matching (no backtracking, like Go's RE2, which also has no backreferences or lookarounds),
    /// so a hostile pattern cannot burn a query's CPU.
    /// </summary>
    private const RegexOptions Options = RegexOptions.CultureInvariant | RegexOptions.NonBacktracking;

    private readonly Regex? _regex;

    /// <summary>Creates a matcher.</summary>
    /// <exception cref="ArgumentException">The name is not a valid label name, or the regular expression is invalid.</exception>
    public LabelMatcher(string name, MatchType type, string value)
        : this(name, type, value, CompileOrThrow(type, value))
    {
    }

    private LabelMatcher(string name, MatchType type, string value, Regex? regex)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!IsValidLabelName(name))
        {
            throw new ArgumentException($"invalid label name {SelectorStringLiteral.Quote(name)}", nameof(name));
        }

        Name = name;
        Type = type;
        Value = value;
        _regex = regex;
    }

    /// <summary>
    /// The longest time one regular expression match may take. Matching is linear in the value (at most 2 KiB), so
    /// only a pathological pattern comes near it; it is generous so that a busy server does not fail a plain query.
    /// </summary>
    public static TimeSpan RegexMatchTimeout { get; } = TimeSpan.FromSeconds(1);

    public string Name { get; }

    public MatchType Type { get; }

    /// <summary>The value to compare with, or the regular expression (without the added anchors).</summary>
    public string Value { get; }

    /// <summary>True when the name is <c>[a-zA-Z_][a-zA-Z0-9_]*</c>.</summary>
    public static bool IsValidLabelName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length == 0 || !IsNameStart(name[0]))
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!IsNameChar(c))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Tests a label value; null means the label is missing, which matches like "".</summary>
    /// <exception cref="RegexMatchTimeoutException">A regular expression took longer than <see cref="RegexMatchTimeout"/>.</exception>
    public bool Matches(string? value)
    {
        var actual = value ?? string.Empty;
        return Type switch
        {
            MatchType.Equal => string.Equals(actual, Value, StringComparison.Ordinal),
            MatchType.NotEqual => !string.Equals(actual, Value, StringComparison.Ordinal),
            MatchType.Regex => _regex!.IsMatch(actual),
            _ => !_regex!.IsMatch(actual),
        };
    }

    public bool Equals(LabelMatcher? other) =>
        other is not null
        && Type == other.Type
        && string.Equals(Name, other.Name, StringComparison.Ordinal)
        && string.Equals(Value, other.Value, StringComparison.Ordinal);

    public override bool Equals(object? obj) => Equals(obj as LabelMatcher);

    public override int GetHashCode() =>
        HashCode.Combine(StringComparer.Ordinal.GetHashCode(Name), Type, StringComparer.Ordinal.GetHashCode(Value));

    /// <summary>PromQL text such as <c>name=~"va\"lue"</c>, which parses back to an equal matcher.</summary>
    public override string ToString() => Name + OperatorText(Type) + SelectorStringLiteral.Quote(Value);

    internal static bool IsNameStart(char c) => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or '_';

    internal static bool IsNameChar(char c) => IsNameStart(c) || c is >= '0' and <= '9';

    /// <summary>Creates a matcher, or returns null and the reason when the regular expression is invalid.</summary>
    internal static LabelMatcher? TryCreate(string name, MatchType type, string value, RegexCache regexes, out string? error)
    {
        Regex? regex = null;
        if (type is MatchType.Regex or MatchType.NotRegex)
        {
            regex = regexes.GetOrCompile(value, TryCompile, out error);
            if (regex is null)
            {
                return null;
            }
        }

        error = null;
        return new LabelMatcher(name, type, value, regex);
    }

    private static string OperatorText(MatchType type) => type switch
    {
        MatchType.Equal => "=",
        MatchType.NotEqual => "!=",
        MatchType.Regex => "=~",
        _ => "!~",
    };

    private static Regex? CompileOrThrow(MatchType type, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (!Enum.IsDefined(type))
        {
            throw new ArgumentOutOfRangeException(nameof(type), type, "unknown match type");
        }

        if (type is not (MatchType.Regex or MatchType.NotRegex))
        {
            return null;
        }

        return TryCompile(value, out var error)
            ?? throw new ArgumentException($"invalid regular expression: {error}", nameof(value));
    }

    internal static Regex? TryCompile(string pattern, out string? error)
    {
        try
        {
            // Parse the pattern on its own first: wrapped in a group, an unbalanced pattern such as "a)|(b" would
            // compile but no longer be anchored.
            _ = new Regex(pattern, Options, RegexMatchTimeout);
            // Anchored as Prometheus does, with "." matching newlines too: ^(?s:re)$.
            var anchored = new Regex("^(?s:" + pattern + ")\\z", Options, RegexMatchTimeout);
            error = null;
            return anchored;
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException)
        {
            // NotSupportedException: constructs the linear-time engine cannot run (backreferences, lookarounds).
            error = ex.Message;
            return null;
        }
    }
}
