using Dapr.Profiler.Protos.Querier;

namespace Dapr.Profiler.Model;

/// <summary>
/// Turns a <c>querier.v1.FlameGraph</c> back into a <see cref="StackTree"/>: x values are delta-decoded per level and a
/// node's parent is the node one level up whose <c>[x, x + total)</c> contains its x. The encoded self and total values
/// are restored as they are (not recomputed), so an inconsistent encoding shows up as a different tree.
/// </summary>
public static class FlameGraphDecoder
{
    private const int Width = 4;

    /// <exception cref="ArgumentException">The flame graph is malformed.</exception>
    public static StackTree Decode(FlameGraph flameGraph)
    {
        ArgumentNullException.ThrowIfNull(flameGraph);
        var tree = new StackTree();
        if (flameGraph.Levels.Count == 0)
        {
            return tree;
        }

        var nameIds = new int[flameGraph.Names.Count];
        Array.Fill(nameIds, -1);
        var previous = Absolute(flameGraph.Levels[0].Values, 0);
        if (previous.Length != Width)
        {
            throw new ArgumentException("level 0 must hold exactly the root node", nameof(flameGraph));
        }

        tree.AddCounts(StackTree.Root, previous[2], previous[1]);
        var previousNodes = new[] { StackTree.Root };
        for (var d = 1; d < flameGraph.Levels.Count; d++)
        {
            var values = Absolute(flameGraph.Levels[d].Values, d);
            var nodes = new int[values.Length / Width];
            for (var j = 0; j < nodes.Length; j++)
            {
                var at = j * Width;
                var parent = FindParent(previous, 0, Width, values[at], values[at + 1], d);
                var nameIndex = values[at + 3];
                if ((ulong)nameIndex >= (ulong)nameIds.Length)
                {
                    throw new ArgumentException($"level {d} refers to name {nameIndex}, outside the {nameIds.Length} names", nameof(flameGraph));
                }

                if (nameIds[nameIndex] < 0)
                {
                    nameIds[nameIndex] = tree.InternName(flameGraph.Names[(int)nameIndex]);
                }

                nodes[j] = tree.GetOrAddChild(previousNodes[parent], nameIds[nameIndex]);
                tree.AddCounts(nodes[j], values[at + 2], values[at + 1]);
            }

            previous = values;
            previousNodes = nodes;
        }

        return tree;
    }

    /// <summary>Copies a level and replaces delta-encoded x by absolute x.</summary>
    internal static long[] Absolute(IList<long> encoded, int level, int width = Width, int firstColumn = 0, int secondColumn = -1)
    {
        if (encoded.Count % width != 0)
        {
            throw new ArgumentException($"level {level} has {encoded.Count} values, not a multiple of {width}", nameof(encoded));
        }

        var values = encoded.ToArray();
        DeltaDecode(values, firstColumn, width);
        if (secondColumn >= 0)
        {
            DeltaDecode(values, secondColumn, width);
        }

        return values;
    }

    /// <summary>
    /// The index of the node on the parent level (x at <paramref name="column"/>, total at column + 1) containing
    /// <paramref name="x"/>. Nodes of zero width contain nothing; a zero-width child goes to the last node starting at or
    /// before it.
    /// </summary>
    internal static int FindParent(long[] parents, int column, int width, long x, long total, int level)
    {
        int low = 0, high = (parents.Length / width) - 1, last = -1;
        while (low <= high)
        {
            var mid = (low + high) >>> 1;
            if (parents[(mid * width) + column] <= x)
            {
                last = mid;
                low = mid + 1;
            }
            else
            {
                high = mid - 1;
            }
        }

        for (var i = last; i >= 0; i--)
        {
            var start = parents[(i * width) + column];
            var end = start + parents[(i * width) + column + 1];
            if (total == 0 ? x <= end : x < end)
            {
                return i;
            }
        }

        throw new ArgumentException($"a node at level {level}, x = {x}, lies outside every node of level {level - 1}", nameof(parents));
    }

    private static void DeltaDecode(long[] values, int column, int width)
    {
        long end = 0;
        for (var i = column; i < values.Length; i += width)
        {
            values[i] = SaturatingMath.Add(values[i], end);
            end = SaturatingMath.Add(values[i], values[i + 1]);
        }
    }
}
