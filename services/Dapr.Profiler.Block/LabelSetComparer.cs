using Dapr.Profiler.Model;

namespace Dapr.Profiler.Block;

/// <summary>Orders label sets pair by pair (name, then value, ordinal), a shorter prefix first.</summary>
internal sealed class LabelSetComparer : IComparer<LabelSet>
{
    public static LabelSetComparer Instance { get; } = new();

    public int Compare(LabelSet? x, LabelSet? y)
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
}
