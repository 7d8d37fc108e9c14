using System.Collections;
using System.Text;

namespace Dapr.Profiler.Model;

/// <summary>
/// An immutable set of labels sorted by name, with unique names. Equality and the fingerprint depend on
/// every name and value, so two series with the same labels always have the same fingerprint.
/// </summary>
public sealed class LabelSet : IReadOnlyList<LabelPair>, IEquatable<LabelSet>
{
    private readonly LabelPair[] _labels;

    public static LabelSet Empty { get; } = new([]);

    private LabelSet(LabelPair[] sortedUnique)
    {
        _labels = sortedUnique;
        Fingerprint = ComputeFingerprint(sortedUnique);
    }

    /// <summary>64-bit hash of the sorted labels (XXH64 over name and value bytes with separators).</summary>
    public ulong Fingerprint { get; }

    public int Count => _labels.Length;

    public LabelPair this[int index] => _labels[index];

    /// <summary>Creates a set from labels in any order. A name given twice is an error.</summary>
    /// <exception cref="ArgumentException">Two labels have the same name.</exception>
    public static LabelSet Create(IEnumerable<LabelPair> labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var array = labels.ToArray();
        Array.Sort(array);
        for (var i = 1; i < array.Length; i++)
        {
            if (string.Equals(array[i - 1].Name, array[i].Name, StringComparison.Ordinal))
            {
                throw new ArgumentException($"duplicate label name \"{array[i].Name}\"", nameof(labels));
            }
        }

        return new LabelSet(array);
    }

    public static LabelSet Create(params ReadOnlySpan<LabelPair> labels) => Create((IEnumerable<LabelPair>)labels.ToArray());

    /// <summary>Returns the value of a label, or null when the set does not have it.</summary>
    public string? Get(string name)
    {
        var lo = 0;
        var hi = _labels.Length - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            var cmp = string.CompareOrdinal(_labels[mid].Name, name);
            if (cmp == 0)
            {
                return _labels[mid].Value;
            }

            if (cmp < 0)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return null;
    }

    /// <summary>Returns a copy with the label set to the value, replacing any label of the same name.</summary>
    public LabelSet With(string name, string value)
    {
        var list = new List<LabelPair>(_labels.Length + 1);
        foreach (var label in _labels)
        {
            if (!string.Equals(label.Name, name, StringComparison.Ordinal))
            {
                list.Add(label);
            }
        }

        list.Add(new LabelPair(name, value));
        return Create(list);
    }

    /// <summary>Returns only the labels whose names are listed (a projection).</summary>
    public LabelSet Keep(IReadOnlyCollection<string> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        return new LabelSet(_labels.Where(l => names.Contains(l.Name)).ToArray());
    }

    /// <summary>
    /// The order Pyroscope sorts label sets in (<c>CompareLabelPairs</c>): pair by pair, by name then value
    /// (ordinal), a set that is a prefix of the other first.
    /// </summary>
    public static IComparer<LabelSet> Ordering { get; } = Comparer<LabelSet>.Create(Compare);

    public static int Compare(LabelSet? x, LabelSet? y)
    {
        if (ReferenceEquals(x, y))
        {
            return 0;
        }

        if (x is null || y is null)
        {
            return x is null ? -1 : 1;
        }

        var n = Math.Min(x.Count, y.Count);
        for (var i = 0; i < n; i++)
        {
            var c = x[i].CompareTo(y[i]);
            if (c != 0)
            {
                return c;
            }
        }

        return x.Count.CompareTo(y.Count);
    }

    public IEnumerator<LabelPair> GetEnumerator() => ((IEnumerable<LabelPair>)_labels).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => _labels.GetEnumerator();

    public bool Equals(LabelSet? other)
    {
        if (other is null)
        {
            return false;
        }

        if (ReferenceEquals(this, other))
        {
            return true;
        }

        return Fingerprint == other.Fingerprint && _labels.AsSpan().SequenceEqual(other._labels);
    }

    public override bool Equals(object? obj) => Equals(obj as LabelSet);

    public override int GetHashCode() => (int)(Fingerprint ^ (Fingerprint >> 32));

    /// <summary>Prometheus-style text: <c>{a="b", c="d"}</c>.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder("{");
        for (var i = 0; i < _labels.Length; i++)
        {
            if (i > 0)
            {
                sb.Append(", ");
            }

            sb.Append(_labels[i].ToString());
        }

        return sb.Append('}').ToString();
    }

    internal static string EscapeValue(string value)
    {
        if (value.AsSpan().IndexOfAny("\\\"\n") < 0)
        {
            return value;
        }

        return value.Replace("\\", "\\\\", StringComparison.Ordinal)
            .Replace("\"", "\\\"", StringComparison.Ordinal)
            .Replace("\n", "\\n", StringComparison.Ordinal);
    }

    private static ulong ComputeFingerprint(LabelPair[] labels)
    {
        var hash = new XxHash64Builder();
        foreach (var label in labels)
        {
            hash.Append(label.Name);
            hash.Append((byte)0xff);
            hash.Append(label.Value);
            hash.Append((byte)0xff);
        }

        return hash.Finish();
    }
}
