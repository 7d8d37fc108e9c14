namespace Dapr.Profiler.Model;

/// <summary>
/// Sums of profile values that stop at the ends of <see cref="long"/> instead of wrapping. Every place that merges
/// values (trees, flame graphs, time series, pprof) adds with these, so data that sums past 2^63 − 1 (stored before
/// ingest limits existed, or legal profiles whose sum is not) shows as <see cref="long.MaxValue"/>, never as a
/// negative total.
/// </summary>
public static class SaturatingMath
{
    /// <summary><paramref name="a"/> + <paramref name="b"/>, clamped to [<see cref="long.MinValue"/>, <see cref="long.MaxValue"/>].</summary>
    public static long Add(long a, long b)
    {
        var sum = unchecked(a + b);

        // Overflow happened exactly when both operands have the same sign and the sum has the other one.
        if (((a ^ sum) & (b ^ sum)) < 0)
        {
            return a < 0 ? long.MinValue : long.MaxValue;
        }

        return sum;
    }

    /// <summary><paramref name="a"/> − <paramref name="b"/>, clamped like <see cref="Add"/>.</summary>
    public static long Subtract(long a, long b)
    {
        var difference = unchecked(a - b);
        if (((a ^ b) & (a ^ difference)) < 0)
        {
            return a < 0 ? long.MinValue : long.MaxValue;
        }

        return difference;
    }

    /// <summary>The sum of <paramref name="values"/>, clamped like <see cref="Add"/> at every step.</summary>
    public static long Sum(ReadOnlySpan<long> values)
    {
        long sum = 0;
        foreach (var value in values)
        {
            sum = Add(sum, value);
        }

        return sum;
    }
}
