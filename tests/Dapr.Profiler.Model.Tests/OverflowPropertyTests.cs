using System.Numerics;
using Dapr.Profiler.Protos.QueryBackend;
using FsCheck;
using FsCheck.Fluent;

namespace Dapr.Profiler.Model.Tests;

/// <summary>
/// Values near 2^63 − 1 (stored before ingest rejected them, or legal profiles whose sum is not) must never make a
/// merged tree, flame graph or diff show a negative value or throw: sums saturate at <see cref="long.MaxValue"/>,
/// and are exact whenever nothing overflows.
/// </summary>
public sealed class OverflowPropertyTests
{
    private static readonly Config Quick = Config.QuickThrowOnFailure.WithMaxTest(200);

    private static readonly long[] Huge = [long.MaxValue, long.MaxValue - 1, long.MaxValue / 2, 1L << 62, (1L << 62) + 1, 3L << 61];

    private static Gen<long> Values => Gen.OneOf(Gen.Elements(Huge), Gen.Choose(1, 1000).Select(v => (long)v));

    private static Gen<(string[] Frames, long Value)[]> Stacks =>
        Gen.Choose(1, 4).SelectMany(depth => Gen.ArrayOf(Gen.Elements("main", "a", "b", "c"), depth))
            .Zip(Values, (frames, value) => (frames, value))
            .ArrayOf();

    [Fact]
    public void SaturatingAdd_IsTheExactSumClampedToTheRangeOfLong() =>
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(1000), Prop.ForAll(
            Arb.From(Gen.OneOf(Gen.Elements(long.MinValue, long.MaxValue, 0L, -1L, 1L), ArbMap.Default.GeneratorFor<long>()).Two()),
            pair =>
            {
                var exact = (BigInteger)pair.Item1 + pair.Item2;
                var clamped = BigInteger.Min(BigInteger.Max(exact, long.MinValue), long.MaxValue);
                return SaturatingMath.Add(pair.Item1, pair.Item2) == clamped;
            }));

    [Fact]
    public void MergedTrees_HaveTheExactSums_ClampedAtLongMaxValue_InAnyMergeOrder() =>
        Check.One(Quick, Prop.ForAll(Arb.From(Stacks.ArrayOf().Where(parts => parts.Length > 0)), parts =>
        {
            var merged = new StackTree();
            foreach (var part in parts)
            {
                merged.Merge(TestTrees.Of(part));
            }

            var direct = TestTrees.Of(parts.SelectMany(p => p));
            var (selves, totals) = ExactSums(parts.SelectMany(p => p));
            var nodes = merged.Nodes().ToList();
            return merged.TreeEquals(direct)
                && nodes.Count == totals.Count
                && nodes.All(n => n.Self == Clamp(selves.GetValueOrDefault(Key(n.Path)))
                    && n.Total == Clamp(totals[Key(n.Path)]))
                && merged.Total == Clamp(parts.SelectMany(p => p).Aggregate(BigInteger.Zero, (s, x) => s + x.Value));
        }));

    [Fact]
    public void SelfMerge_Saturates() =>
        Check.One(Quick, Prop.ForAll(Arb.From(Stacks), stacks =>
        {
            var tree = TestTrees.Of(stacks);
            var expected = TestTrees.Of(stacks.Concat(stacks));
            tree.Merge(tree);
            return tree.TreeEquals(expected) && tree.Nodes().All(n => n.Self >= 0 && n.Total >= 0);
        }));

    [Fact]
    public void FlameGraphsAndDiffs_OfOverflowingTrees_EncodeWithoutNegativeValues() =>
        Check.One(Quick, Prop.ForAll(Arb.From(Stacks.Two().Zip(Gen.Choose(0, 6))), input =>
        {
            var ((leftStacks, rightStacks), maxNodes) = input;
            var left = TestTrees.Of(leftStacks);
            var right = TestTrees.Of(rightStacks);
            left.Merge(right);
            var flameGraph = FlameGraphEncoder.Encode(left, maxNodes);
            var diff = FlameGraphDiffEncoder.Encode(left, right, maxNodes);
            return flameGraph.Total >= 0 && flameGraph.MaxSelf >= 0
                && flameGraph.Levels.All(l => l.Values.All(v => v >= 0))
                && diff.Total >= 0 && diff.MaxSelf >= 0 && diff.LeftTicks >= 0 && diff.RightTicks >= 0
                && diff.Levels.All(l => l.Values.All(v => v >= 0));
        }));

    [Fact]
    public void TreeReports_OfOverflowingTrees_RoundTrip() =>
        Check.One(Quick, Prop.ForAll(Arb.From(Stacks), stacks =>
        {
            var tree = TestTrees.Of(stacks);
            var decoded = TreeReportCodec.ToStackTree(TreeReportCodec.ToReport(tree));

            // Selves round-trip exactly; totals are rebuilt from them, so they are at least the saturated sums.
            var original = tree.Nodes().ToDictionary(n => Key(n.Path));
            return decoded.Nodes().All(n => n.Self == original[Key(n.Path)].Self && n.Total >= 0)
                && decoded.Total >= 0;
        }));

    [Fact]
    public void TreeReport_WithANegativeSelf_FromAWrappedSum_DecodesAsZeroInsteadOfFailing()
    {
        var report = new TreeReport { Names = { "main", "a", "b" } };
        report.Parent.AddRange([-1, 0, 1, 1]);
        report.Name.AddRange([0, 0, 1, 2]);
        report.Self.AddRange([0, 0, -2, 5]);

        var tree = TreeReportCodec.ToStackTree(report);

        Assert.Equal("main 0/5\nmain;b 5/5", tree.ToString());
    }

    [Fact]
    public void TreeReport_WithBrokenStructure_IsStillRefused()
    {
        var report = new TreeReport { Names = { "main" } };
        report.Parent.AddRange([-1, 2]);
        report.Name.AddRange([0, 0]);
        report.Self.AddRange([0, 1]);

        Assert.Throws<ArgumentException>(() => TreeReportCodec.ToStackTree(report));
    }

    private static long Clamp(BigInteger value) => (long)BigInteger.Min(value, long.MaxValue);

    private static string Key(IEnumerable<string> path) => string.Join(';', path);

    private static (Dictionary<string, BigInteger> Selves, Dictionary<string, BigInteger> Totals) ExactSums(IEnumerable<(string[] Frames, long Value)> stacks)
    {
        var selves = new Dictionary<string, BigInteger>(StringComparer.Ordinal);
        var totals = new Dictionary<string, BigInteger>(StringComparer.Ordinal);
        foreach (var (frames, value) in stacks)
        {
            for (var depth = 1; depth <= frames.Length; depth++)
            {
                var key = Key(frames.Take(depth));
                totals[key] = totals.GetValueOrDefault(key) + value;
            }

            var leaf = Key(frames);
            selves[leaf] = selves.GetValueOrDefault(leaf) + value;
        }

        return (selves, totals);
    }
}
