namespace Dapr.Profiler.Model;

/// <summary>A label name and value. Ordered by name, then value, with ordinal comparison.</summary>
public readonly record struct LabelPair(string Name, string Value) : IComparable<LabelPair>
{
    public int CompareTo(LabelPair other)
    {
        var byName = string.CompareOrdinal(Name, other.Name);
        return byName != 0 ? byName : string.CompareOrdinal(Value, other.Value);
    }

    public static bool operator <(LabelPair left, LabelPair right) => left.CompareTo(right) < 0;

    public static bool operator <=(LabelPair left, LabelPair right) => left.CompareTo(right) <= 0;

    public static bool operator >(LabelPair left, LabelPair right) => left.CompareTo(right) > 0;

    public static bool operator >=(LabelPair left, LabelPair right) => left.CompareTo(right) >= 0;

    public override string ToString() => $"{Name}=\"{LabelSet.EscapeValue(Value)}\"";
}
