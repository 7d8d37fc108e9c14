using Dapr.Profiler.Protos.Querier;

namespace Dapr.Profiler.Model;

/// <summary>
/// Encodes two trees as Pyroscope's <c>querier.v1.FlameGraphDiff</c>, reproducing <c>model.NewFlamegraphDiff</c>
/// (pkg/model/flamegraph_diff.go) value for value.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Both trees are first given the same shape (the union of their nodes; a node missing on one side has zeros
/// there) under one root whose totals are the tree totals and whose self is 0 (<c>combineTree</c>).</item>
/// <item>Threshold (<c>combineMinValues</c>): when <c>maxNodes &gt; 0</c> and the combined tree, root included, has more
/// than <c>maxNodes</c> nodes, it is the <c>maxNodes</c>-th largest of <c>max(totalLeft, totalRight)</c> over all
/// combined nodes, root included; otherwise 0.</item>
/// <item>A child is kept when its left or right total reaches the threshold; unlike the single flame graph a real
/// <c>"other"</c> node is kept like any other. The rest are summed per side into one synthetic <c>"other"</c> child
/// (self = total on each side), created when either sum is nonzero and placed after the kept children.</item>
/// <item>Names get their index on first visit (depth first, last child first), keyed by the raw name; the root's name
/// is the empty string, shown as <c>"total"</c>, so a frame named <c>""</c> shares index 0 while a frame named
/// <c>"total"</c> gets its own index. <c>max_self</c> is the largest left or right self of an emitted node.</item>
/// <item>Values per node: <c>[xL, totalL, selfL, xR, totalR, selfR, name]</c>; columns 0 and 3 are each delta-encoded
/// against the end (x + total) of the previous node on the same side. total = left total + right total.</item>
/// </list>
/// </remarks>
public static class FlameGraphDiffEncoder
{
    private const int Width = 7;

    public static FlameGraphDiff Encode(StackTree left, StackTree right, long maxNodes = FlameGraphEncoder.DefaultMaxNodes)
    {
        ArgumentNullException.ThrowIfNull(left);
        ArgumentNullException.ThrowIfNull(right);
        var shape = new StackTree(left.NodeCount + right.NodeCount + 1);
        var leftMap = shape.MergeAndMap(left);
        var rightMap = shape.MergeAndMap(right);
        var size = shape.NodeCount + 1;
        var leftSelf = new long[size];
        var leftTotal = new long[size];
        var rightSelf = new long[size];
        var rightTotal = new long[size];
        Project(left, leftMap, leftSelf, leftTotal);
        Project(right, rightMap, rightSelf, rightTotal);

        var minValue = MinValue(leftTotal, rightTotal, maxNodes);
        var rank = shape.NameRanks();
        var buffer = new StackTree.ChildBuffer();
        var nameIndex = new int[shape.NameCount];
        Array.Fill(nameIndex, -1);
        var names = new List<string> { FlameGraphEncoder.TotalName };
        if (shape.TryGetNameId(string.Empty, out var emptyNameId))
        {
            nameIndex[emptyNameId] = 0;
        }

        var otherNameId = shape.TryGetNameId(FlameGraphEncoder.OtherName, out var id) ? id : StackTree.NoNode;
        var syntheticOtherIndex = -1;
        var levels = new List<List<long>>();
        long maxSelf = 0;
        var stack = new Stack<Work>();
        stack.Push(new Work(StackTree.Root, 0, 0, 0, 0, 0));
        while (stack.TryPop(out var work))
        {
            long selfL, totalL, selfR, totalR;
            int name;
            if (work.Node == StackTree.NoNode)
            {
                selfL = totalL = work.OtherLeft;
                selfR = totalR = work.OtherRight;
                if (otherNameId != StackTree.NoNode)
                {
                    name = NameIndex(shape, nameIndex, names, otherNameId);
                }
                else
                {
                    if (syntheticOtherIndex < 0)
                    {
                        syntheticOtherIndex = names.Count;
                        names.Add(FlameGraphEncoder.OtherName);
                    }

                    name = syntheticOtherIndex;
                }
            }
            else
            {
                selfL = leftSelf[work.Node];
                totalL = leftTotal[work.Node];
                selfR = rightSelf[work.Node];
                totalR = rightTotal[work.Node];
                name = work.Node == StackTree.Root ? 0 : NameIndex(shape, nameIndex, names, shape.NodeNameId(work.Node));
            }

            maxSelf = Math.Max(maxSelf, Math.Max(selfL, selfR));
            if (work.Level == levels.Count)
            {
                levels.Add([]);
            }

            var level = levels[work.Level];
            level.Add(work.XLeft);
            level.Add(totalL);
            level.Add(selfL);
            level.Add(work.XRight);
            level.Add(totalR);
            level.Add(selfR);
            level.Add(name);
            if (work.Node == StackTree.NoNode)
            {
                continue;
            }

            var filter = new KeepFilter(leftTotal, rightTotal, minValue);
            var count = shape.CollectChildren(work.Node, rank, buffer, ref filter);
            var xLeft = SaturatingMath.Add(work.XLeft, selfL);
            var xRight = SaturatingMath.Add(work.XRight, selfR);
            for (var i = 0; i < count; i++)
            {
                var child = buffer.Items[i];
                stack.Push(new Work(child, xLeft, xRight, work.Level + 1, 0, 0));
                xLeft = SaturatingMath.Add(xLeft, leftTotal[child]);
                xRight = SaturatingMath.Add(xRight, rightTotal[child]);
            }

            if (filter.OtherLeft != 0 || filter.OtherRight != 0)
            {
                stack.Push(new Work(StackTree.NoNode, xLeft, xRight, work.Level + 1, filter.OtherLeft, filter.OtherRight));
            }
        }

        var result = new FlameGraphDiff
        {
            Total = SaturatingMath.Add(left.Total, right.Total),
            MaxSelf = maxSelf,
            LeftTicks = left.Total,
            RightTicks = right.Total,
        };
        result.Names.AddRange(names);
        foreach (var level in levels)
        {
            var values = FlameGraphEncoder.ReverseChunks(level, Width);
            FlameGraphEncoder.DeltaEncode(values, 0, Width);
            FlameGraphEncoder.DeltaEncode(values, 3, Width);
            var encoded = new Level();
            encoded.Values.AddRange(values);
            result.Levels.Add(encoded);
        }

        return result;
    }

    /// <summary>The threshold of <c>combineMinValues</c> for aligned totals; index 0 is the combined root.</summary>
    internal static long MinValue(long[] leftTotal, long[] rightTotal, long maxNodes)
    {
        if (maxNodes < 1 || leftTotal.Length <= maxNodes)
        {
            return 0;
        }

        var heap = new TopValues((int)maxNodes);
        for (var i = 0; i < leftTotal.Length; i++)
        {
            heap.Offer(Math.Max(leftTotal[i], rightTotal[i]));
        }

        return heap.Threshold;
    }

    private static void Project(StackTree tree, int[] map, long[] self, long[] total)
    {
        // The combined root has self 0 and the tree's total, as in combineTree.
        total[StackTree.Root] = tree.Total;
        for (var node = 1; node < map.Length; node++)
        {
            self[map[node]] = tree.NodeSelf(node);
            total[map[node]] = tree.NodeTotal(node);
        }
    }

    private static int NameIndex(StackTree shape, int[] nameIndex, List<string> names, int nameId)
    {
        if (nameIndex[nameId] < 0)
        {
            nameIndex[nameId] = names.Count;
            names.Add(shape.GetName(nameId));
        }

        return nameIndex[nameId];
    }

    private readonly record struct Work(int Node, long XLeft, long XRight, int Level, long OtherLeft, long OtherRight);

    /// <summary>Keeps children whose left or right total reaches the threshold; sums the rest per side.</summary>
    private struct KeepFilter(long[] leftTotal, long[] rightTotal, long minValue) : StackTree.IChildFilter
    {
        public long OtherLeft { get; private set; }

        public long OtherRight { get; private set; }

        public bool Keep(int child)
        {
            if (leftTotal[child] >= minValue || rightTotal[child] >= minValue)
            {
                return true;
            }

            OtherLeft = SaturatingMath.Add(OtherLeft, leftTotal[child]);
            OtherRight = SaturatingMath.Add(OtherRight, rightTotal[child]);
            return false;
        }
    }
}
