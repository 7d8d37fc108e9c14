namespace Dapr.Profiler.Model;

/// <summary>The operator of a <see cref="LabelMatcher"/>: <c>=</c>, <c>!=</c>, <c>=~</c> or <c>!~</c>.</summary>
public enum MatchType
{
    /// <summary><c>name="value"</c>: the label value equals the value (ordinal).</summary>
    Equal,

    /// <summary><c>name!="value"</c>: the label value differs from the value (ordinal).</summary>
    NotEqual,

    /// <summary><c>name=~"re"</c>: the whole label value matches the regular expression.</summary>
    Regex,

    /// <summary><c>name!~"re"</c>: the whole label value does not match the regular expression.</summary>
    NotRegex,
}
