using Dapr.Profiler.Protos.Querier;

namespace Dapr.Profiler.Model;

/// <summary>
/// Turns a <c>querier.v1.FlameGraphDiff</c> back into its left and right trees. A node with a zero total on one side is a
/// placeholder there and is left out of that side's tree. Parents are found on a side where the node has width.
/// </summary>
public static class FlameGraphDiffDecoder
{
    private const int Width = 7;

    /// <exception cref="ArgumentException">The diff is malformed.</exception>
    public static (StackTree Left, StackTree Right) Decode(FlameGraphDiff diff)
    {
        ArgumentNullException.ThrowIfNull(diff);
        var left = new StackTree();
        var right = new StackTree();
        if (diff.Levels.Count == 0)
        {
            return (left, right);
        }

        var leftNames = new int[diff.Names.Count];
        var rightNames = new int[diff.Names.Count];
        Array.Fill(leftNames, -1);
        Array.Fill(rightNames, -1);
        var previous = FlameGraphDecoder.Absolute(diff.Levels[0].Values, 0, Width, 0, 3);
        if (previous.Length != Width)
        {
            throw new ArgumentException("level 0 must hold exactly the root node", nameof(diff));
        }

        left.AddCounts(StackTree.Root, previous[2], previous[1]);
        right.AddCounts(StackTree.Root, previous[5], previous[4]);
        var previousLeft = new[] { StackTree.Root };
        var previousRight = new[] { StackTree.Root };
        for (var d = 1; d < diff.Levels.Count; d++)
        {
            var values = FlameGraphDecoder.Absolute(diff.Levels[d].Values, d, Width, 0, 3);
            var count = values.Length / Width;
            var leftNodes = new int[count];
            var rightNodes = new int[count];
            for (var j = 0; j < count; j++)
            {
                var at = j * Width;
                long totalL = values[at + 1], totalR = values[at + 4];
                var parent = totalR > 0
                    ? FlameGraphDecoder.FindParent(previous, 3, Width, values[at + 3], totalR, d)
                    : FlameGraphDecoder.FindParent(previous, 0, Width, values[at], totalL, d);
                var nameIndex = values[at + 6];
                if ((ulong)nameIndex >= (ulong)diff.Names.Count)
                {
                    throw new ArgumentException($"level {d} refers to name {nameIndex}, outside the {diff.Names.Count} names", nameof(diff));
                }

                leftNodes[j] = Place(left, leftNames, diff, previousLeft[parent], (int)nameIndex, values[at + 2], totalL);
                rightNodes[j] = Place(right, rightNames, diff, previousRight[parent], (int)nameIndex, values[at + 5], totalR);
            }

            previous = values;
            previousLeft = leftNodes;
            previousRight = rightNodes;
        }

        return (left, right);
    }

    private static int Place(StackTree tree, int[] nameIds, FlameGraphDiff diff, int parent, int nameIndex, long self, long total)
    {
        if (total == 0 && self == 0)
        {
            return StackTree.NoNode;
        }

        if (parent == StackTree.NoNode)
        {
            throw new ArgumentException("a node has a value on a side where its parent has none", nameof(diff));
        }

        if (nameIds[nameIndex] < 0)
        {
            nameIds[nameIndex] = tree.InternName(diff.Names[nameIndex]);
        }

        var node = tree.GetOrAddChild(parent, nameIds[nameIndex]);
        tree.AddCounts(node, self, total);
        return node;
    }
}
