using Dapr.Profiler.Protos.Querier;

namespace Dapr.Profiler.Model;

/// <summary>
/// Encodes a <see cref="StackTree"/> as Pyroscope's <c>querier.v1.FlameGraph</c>, reproducing
/// <c>model.NewFlameGraph</c> (pkg/model/flamegraph.go) value for value.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Truncation threshold (<c>Tree.minValue</c>, pkg/model/tree.go): when <c>maxNodes &gt; 0</c> and the tree has more
/// than <c>maxNodes</c> nodes (the root not counted), the threshold is the <c>maxNodes</c>-th largest node total (ties
/// counted); otherwise 0.</item>
/// <item>A child is kept when its total is at least the threshold and its name is not <c>"other"</c>. The others (their
/// whole subtrees) are summed into one synthetic <c>"other"</c> child per parent, with self = total, placed after the
/// kept children. A real node named <c>"other"</c> is therefore always collapsed, even without truncation.</item>
/// <item>Nodes are visited depth first, last child first; names get their index on first visit, so the root is
/// <c>"total"</c> at 0 (a frame literally named <c>"total"</c> shares index 0).</item>
/// <item>x of a child = parent x + parent self + totals of the kept siblings before it; levels are in x order and
/// delta-encoded; <c>max_self</c> is the largest self of an emitted node (synthetic others included).</item>
/// <item>Positions and "other" sums saturate at <see cref="long.MaxValue"/> (<see cref="SaturatingMath"/>): a tree
/// whose values sum past 2^63 − 1 encodes with saturated, never negative, values.</item>
/// </list>
/// </remarks>
public static class FlameGraphEncoder
{
    /// <summary>Pyroscope's default when a request has no <c>max_nodes</c>.</summary>
    public const long DefaultMaxNodes = 8192;

    internal const string TotalName = "total";
    internal const string OtherName = "other";
    private const int Width = 4;

    /// <param name="tree">The merged tree.</param>
    /// <param name="maxNodes">As in <c>model.NewFlameGraph</c>: 0 or less means no truncation. The API layer maps an
    /// absent or zero <c>max_nodes</c> to <see cref="DefaultMaxNodes"/> before calling this.</param>
    public static FlameGraph Encode(StackTree tree, long maxNodes = DefaultMaxNodes)
    {
        ArgumentNullException.ThrowIfNull(tree);
        var minValue = MinValue(tree, maxNodes);
        var rank = tree.NameRanks();
        var buffer = new StackTree.ChildBuffer();
        var otherNameId = tree.TryGetNameId(OtherName, out var id) ? id : StackTree.NoNode;

        var nameIndex = new int[tree.NameCount];
        Array.Fill(nameIndex, -1);
        var names = new List<string> { TotalName };
        if (tree.TryGetNameId(TotalName, out var totalNameId))
        {
            nameIndex[totalNameId] = 0;
        }

        var syntheticOtherIndex = -1;
        var levels = new List<List<long>>();
        long maxSelf = 0;
        var stack = new Stack<Work>();
        stack.Push(new Work(StackTree.Root, 0, 0, 0));
        while (stack.TryPop(out var work))
        {
            long self;
            long total;
            int name;
            if (work.Node == StackTree.NoNode)
            {
                self = total = work.OtherTotal;
                if (syntheticOtherIndex < 0)
                {
                    syntheticOtherIndex = names.Count;
                    names.Add(OtherName);
                }

                name = syntheticOtherIndex;
            }
            else
            {
                self = tree.NodeSelf(work.Node);
                total = tree.NodeTotal(work.Node);
                name = work.Node == StackTree.Root ? 0 : NameIndex(tree, nameIndex, names, tree.NodeNameId(work.Node));
            }

            maxSelf = Math.Max(maxSelf, self);
            if (work.Level == levels.Count)
            {
                levels.Add([]);
            }

            var level = levels[work.Level];
            level.Add(work.X);
            level.Add(total);
            level.Add(self);
            level.Add(name);
            if (work.Node == StackTree.NoNode)
            {
                continue;
            }

            var filter = new KeepFilter(tree, minValue, otherNameId);
            var count = tree.CollectChildren(work.Node, rank, buffer, ref filter);
            var x = SaturatingMath.Add(work.X, self);
            for (var i = 0; i < count; i++)
            {
                var child = buffer.Items[i];
                stack.Push(new Work(child, x, work.Level + 1, 0));
                x = SaturatingMath.Add(x, tree.NodeTotal(child));
            }

            if (filter.OtherTotal != 0)
            {
                stack.Push(new Work(StackTree.NoNode, x, work.Level + 1, filter.OtherTotal));
            }
        }

        var result = new FlameGraph { Total = tree.Total, MaxSelf = maxSelf };
        result.Names.AddRange(names);
        foreach (var level in levels)
        {
            var values = ReverseChunks(level, Width);
            DeltaEncode(values, 0, Width);
            var encoded = new Level();
            encoded.Values.AddRange(values);
            result.Levels.Add(encoded);
        }

        return result;
    }

    /// <summary>The smallest total a node needs to be kept (Pyroscope's <c>Tree.minValue</c>).</summary>
    public static long MinValue(StackTree tree, long maxNodes)
    {
        ArgumentNullException.ThrowIfNull(tree);
        if (maxNodes < 1 || tree.NodeCount <= maxNodes)
        {
            return 0;
        }

        var heap = new TopValues((int)maxNodes);
        for (var node = 1; node <= tree.NodeCount; node++)
        {
            heap.Offer(tree.NodeTotal(node));
        }

        return heap.Threshold;
    }

    private static int NameIndex(StackTree tree, int[] nameIndex, List<string> names, int nameId)
    {
        if (nameIndex[nameId] < 0)
        {
            nameIndex[nameId] = names.Count;
            names.Add(tree.GetName(nameId));
        }

        return nameIndex[nameId];
    }

    /// <summary>Nodes were collected in visiting order, which is descending x within a level; put chunks in x order.</summary>
    internal static long[] ReverseChunks(List<long> values, int width)
    {
        var result = new long[values.Count];
        var chunks = values.Count / width;
        for (var i = 0; i < chunks; i++)
        {
            for (var k = 0; k < width; k++)
            {
                result[(i * width) + k] = values[((chunks - 1 - i) * width) + k];
            }
        }

        return result;
    }

    /// <summary>Replaces absolute x at <paramref name="column"/> (total at column + 1) by the gap to the previous node's end.</summary>
    internal static void DeltaEncode(long[] values, int column, int width)
    {
        long end = 0;
        for (var i = column; i + 1 < values.Length; i += width)
        {
            // Positions only saturate (see SaturatingMath); a gap is never negative.
            var x = values[i];
            values[i] = Math.Max(0, SaturatingMath.Subtract(x, end));
            end = SaturatingMath.Add(x, values[i + 1]);
        }
    }

    private readonly record struct Work(int Node, long X, int Level, long OtherTotal);

    /// <summary>Keeps children at or above the threshold except those named "other"; sums the rest.</summary>
    private struct KeepFilter(StackTree tree, long minValue, int otherNameId) : StackTree.IChildFilter
    {
        public long OtherTotal { get; private set; }

        public bool Keep(int child)
        {
            var total = tree.NodeTotal(child);
            if (total >= minValue && tree.NodeNameId(child) != otherNameId)
            {
                return true;
            }

            OtherTotal = SaturatingMath.Add(OtherTotal, total);
            return false;
        }
    }
}

/// <summary>Keeps the <c>k</c> largest values offered (a min-heap); <see cref="Threshold"/> is the k-th largest.</summary>
internal struct TopValues(int capacity)
{
    private readonly long[] _heap = new long[capacity];
    private int _count;

    /// <summary>The k-th largest value offered, or 0 when fewer than k values were offered.</summary>
    public readonly long Threshold => _count < _heap.Length || _count == 0 ? 0 : _heap[0];

    public void Offer(long value)
    {
        if (_count < _heap.Length)
        {
            var i = _count++;
            _heap[i] = value;
            while (i > 0)
            {
                var parent = (i - 1) / 2;
                if (_heap[parent] <= _heap[i])
                {
                    break;
                }

                (_heap[parent], _heap[i]) = (_heap[i], _heap[parent]);
                i = parent;
            }

            return;
        }

        if (value <= _heap[0])
        {
            return;
        }

        _heap[0] = value;
        var j = 0;
        while (true)
        {
            var smallest = j;
            var left = (2 * j) + 1;
            var right = left + 1;
            if (left < _count && _heap[left] < _heap[smallest])
            {
                smallest = left;
            }

            if (right < _count && _heap[right] < _heap[smallest])
            {
                smallest = right;
            }

            if (smallest == j)
            {
                return;
            }

            (_heap[smallest], _heap[j]) = (_heap[j], _heap[smallest]);
            j = smallest;
        }
    }
}
