using Dapr.Profiler.Protos.Pprof;
using FsCheck;
using FsCheck.Fluent;

namespace Dapr.Profiler.Model.Tests;

public sealed class TreePropertyTests
{
    private static readonly Config Quick = Config.QuickThrowOnFailure.WithMaxTest(300);

    [Fact]
    public void FlameGraph_WithoutTruncation_DecodesBackToTheSameTree() =>
        Check.One(Quick, Prop.ForAll(Arb.From(StackGen.Tree(StackGen.Names)), tree =>
        {
            var fg = FlameGraphEncoder.Encode(tree, 0);
            var decoded = FlameGraphDecoder.Decode(fg);
            return decoded.TreeEquals(tree)
                && fg.Total == tree.Total
                && fg.MaxSelf == tree.Nodes().Select(n => n.Self).DefaultIfEmpty().Max()
                && fg.Names.Distinct().Count() == fg.Names.Count
                && fg.Levels.Count == tree.Nodes().Select(n => n.Path.Count).DefaultIfEmpty().Max() + 1;
        }));

    [Fact]
    public void Merging_DoesNotDependOnOrderOrGrouping() =>
        Check.One(Quick, Prop.ForAll(Arb.From(PartsAndPermutation()), input =>
        {
            var (parts, permutation) = input;
            var inOrder = new StackTree();
            foreach (var part in parts)
            {
                inOrder.Merge(TestTrees.Of(part));
            }

            var permuted = new StackTree();
            foreach (var i in permutation)
            {
                permuted.Merge(TestTrees.Of(parts[i]));
            }

            // Right-nested grouping: p0 ∪ (p1 ∪ (p2 ∪ …)), and every stack added to one tree directly.
            var nested = TestTrees.Of(parts[^1]);
            for (var i = parts.Length - 2; i >= 0; i--)
            {
                var t = TestTrees.Of(parts[i]);
                t.Merge(nested);
                nested = t;
            }

            var direct = TestTrees.Of(parts.SelectMany(p => p));
            return inOrder.TreeEquals(permuted) && inOrder.TreeEquals(nested) && inOrder.TreeEquals(direct)
                && FlameGraphEncoder.Encode(inOrder).Equals(FlameGraphEncoder.Encode(permuted))
                && FlameGraphEncoder.Encode(inOrder, 5).Equals(FlameGraphEncoder.Encode(permuted, 5))
                && FlameGraphDiffEncoder.Encode(inOrder, direct, 5).Equals(FlameGraphDiffEncoder.Encode(permuted, nested, 5));
        }));

    [Fact]
    public void FlameGraph_WithTruncation_KeepsExactlyTheNodesAtOrAboveTheThreshold_AndPreservesTotals() =>
        Check.One(Quick, Prop.ForAll(Arb.From(StackGen.Tree(StackGen.Names).Zip(Gen.Choose(1, 25))), input =>
        {
            var (tree, maxNodes) = input;
            var fg = FlameGraphEncoder.Encode(tree, maxNodes);
            var decoded = FlameGraphDecoder.Decode(fg);

            // The threshold, computed independently: the maxNodes-th largest node total, or 0 for small trees.
            var totals = tree.Nodes().Select(n => n.Total).OrderDescending().ToArray();
            var threshold = totals.Length <= maxNodes ? 0 : totals[maxNodes - 1];
            var expectedReal = tree.Nodes().Where(n => n.Total >= threshold).Select(Describe).Order(StringComparer.Ordinal);
            var real = decoded.Nodes().Where(n => !n.Path.Contains("other")).Select(Describe).Order(StringComparer.Ordinal);
            var others = decoded.Nodes().Where(n => n.Path[^1] == "other").ToArray();
            var kept = real.Count();

            return fg.Total == tree.Total && decoded.Total == tree.Total
                && decoded.Nodes().Sum(n => n.Self) == tree.Total
                && real.SequenceEqual(expectedReal)
                && others.All(o => o.Self == o.Total && o.Total > 0)
                && (threshold == 0 || kept <= maxNodes + totals.Count(t => t == threshold) - 1);
        }));

    [Fact]
    public void FlameGraphDiff_DecodesBackToBothTrees() =>
        Check.One(Quick, Prop.ForAll(Arb.From(StackGen.Tree(StackGen.NamesWithOther).Two()), input =>
        {
            var (left, right) = input;
            var diff = FlameGraphDiffEncoder.Encode(left, right, 0);
            var (decodedLeft, decodedRight) = FlameGraphDiffDecoder.Decode(diff);
            return decodedLeft.TreeEquals(left) && decodedRight.TreeEquals(right)
                && diff.LeftTicks == left.Total && diff.RightTicks == right.Total && diff.Total == left.Total + right.Total;
        }));

    [Fact]
    public void FlameGraphDiff_WithTruncation_PreservesBothTotals() =>
        Check.One(Quick, Prop.ForAll(Arb.From(StackGen.Tree(StackGen.NamesWithOther).Two().Zip(Gen.Choose(1, 25))), input =>
        {
            var ((left, right), maxNodes) = input;
            var (decodedLeft, decodedRight) = FlameGraphDiffDecoder.Decode(FlameGraphDiffEncoder.Encode(left, right, maxNodes));
            return decodedLeft.Total == left.Total && decodedRight.Total == right.Total
                && decodedLeft.Nodes().Sum(n => n.Self) == left.Total
                && decodedRight.Nodes().Sum(n => n.Self) == right.Total;
        }));

    [Fact]
    public void PprofMerger_TreeOfTheMergedProfileEqualsTheMergeOfTheTrees() =>
        Check.One(Quick, Prop.ForAll(Arb.From(ProfileSpecs()), specs =>
        {
            var merger = new PprofMerger();
            var expected = new StackTree();
            long positiveSum = 0;
            foreach (var spec in specs)
            {
                var profile = spec.Build();
                merger.Add(profile, spec.ValueIndex);
                expected.Merge(StackTree.FromProfile(profile, spec.ValueIndex));
                positiveSum += spec.Stacks.Sum(s => Math.Max(0, spec.ValueIndex == 0 ? s.V0 : s.V1));
            }

            var merged = merger.Build();
            var tree = StackTree.FromProfile(merged, 0);
            var stacks = merged.Sample.Select(s => string.Join(',', s.LocationId)).ToArray();
            var locations = merged.Location.Select(l => $"{l.MappingId}/{l.Address}/{string.Join(',', l.Line.Select(x => $"{x.FunctionId}:{x.Line_}"))}");
            return tree.TreeEquals(expected) && tree.Total == positiveSum
                && merged.Sample.All(s => s.Value.Count == 1 && s.Value[0] > 0)
                && stacks.Distinct().Count() == stacks.Length
                && locations.Distinct().Count() == merged.Location.Count
                && merged.Function.Select(f => f.Name).Distinct().Count() == merged.Function.Count
                && merged.Location.Select((l, i) => l.Id == (ulong)i + 1).All(x => x);
        }));

    private static string Describe((IReadOnlyList<string> Path, long Self, long Total) node) =>
        $"{string.Join(';', node.Path)} {node.Self}/{node.Total}";

    private static Gen<((string[] Frames, long Value)[][] Parts, int[] Permutation)> PartsAndPermutation() =>
        Gen.Choose(2, 5)
            .SelectMany(n => Gen.ArrayOf(StackGen.Stacks(StackGen.NamesWithOther), n))
            .SelectMany(parts => Gen.Shuffle(Enumerable.Range(0, parts.Length)).Select(p => (parts, p)));

    private static Gen<ProfileSpec[]> ProfileSpecs()
    {
        var stack = Gen.Choose(1, 6).SelectMany(depth => Gen.ArrayOf(Gen.Elements(StackGen.Names), depth))
            .Zip(Gen.Choose(-2, 500).Two(), (frames, v) => (Frames: frames, V0: (long)v.Item1, V1: (long)v.Item2));
        var spec = stack.ArrayOf().Zip(Gen.Choose(0, 1).Zip(Gen.Choose(0, int.MaxValue)), (stacks, t) => new ProfileSpec(stacks, t.Item1, t.Item2));
        return Gen.Choose(1, 4).SelectMany(n => Gen.ArrayOf(spec, n));
    }

    /// <summary>
    /// A profile of two value columns whose shape varies with a seed: adjacent frames may share one location as inlined
    /// lines, locations may or may not be reused, frames named "d" have no lines (address-only), mappings vary.
    /// </summary>
    private sealed record ProfileSpec((string[] Frames, long V0, long V1)[] Stacks, int ValueIndex, int Seed)
    {
        public Profile Build()
        {
            var random = new Random(Seed);
            // The merged column is cpu/nanoseconds wherever it sits; the other column must not leak into the result.
            var b = ValueIndex == 0
                ? new ProfileBuilder(("cpu", "nanoseconds"), ("samples", "count"))
                : new ProfileBuilder(("samples", "count"), ("cpu", "nanoseconds"));
            ulong[] mappings = [0, b.Mapping("/bin/app", "id-1"), b.Mapping("/lib/libc.so", "id-2")];
            var reuse = new Dictionary<string, ulong>(StringComparer.Ordinal);
            foreach (var (frames, v0, v1) in Stacks)
            {
                var locations = new List<ulong>();
                var i = frames.Length - 1;
                while (i >= 0)
                {
                    // Take 1–2 frames (leaf side first) as one location; lines are callee first.
                    var take = frames[i] != "d" && i > 0 && frames[i - 1] != "d" && random.Next(3) == 0 ? 2 : 1;
                    var group = frames[(i - take + 1)..(i + 1)].Reverse().ToArray();
                    var key = string.Join(';', group);
                    if (!reuse.TryGetValue(key, out var id) || random.Next(4) == 0)
                    {
                        var mapping = mappings[random.Next(mappings.Length)];
                        id = group[0] == "d"
                            ? b.Location(mapping, 0xd0)
                            : b.Location(mapping, (ulong)(0x100 + key.Length), group.Select(b.FunctionNamed).ToArray());
                        reuse[key] = id;
                    }

                    locations.Add(id);
                    i -= take;
                }

                b.Sample([.. locations], v0, v1);
            }

            return b.Decoded();
        }
    }
}
