using Dapr.Profiler.Protos.Block;
using Dapr.Profiler.Protos.QueryBackend;

namespace Dapr.Profiler.QueryFrontend;

/// <summary>
/// Builds the plan tree the query-backend runs, as Pyroscope's <c>queryplan.Build</c>: READ leaves of at most
/// <c>maxReads</c> consecutive blocks, then MERGE nodes of at most <c>maxMerges</c> consecutive children, level by
/// level until one root is left. A single leaf is the root itself (no MERGE above it).
/// </summary>
internal static class QueryPlanner
{
    /// <summary>Shuffles the blocks in place (so hot blocks do not always land in the same leaf) and builds the plan.</summary>
    public static PlanNode ShuffleAndBuild(BlockMeta[] blocks, int maxReads, int maxMerges, Random random)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        ArgumentNullException.ThrowIfNull(random);
        random.Shuffle(blocks);
        return Build(blocks, maxReads, maxMerges);
    }

    /// <summary>The plan over the blocks in the given order; every block appears in exactly one leaf.</summary>
    /// <exception cref="ArgumentException">There are no blocks.</exception>
    public static PlanNode Build(IReadOnlyList<BlockMeta> blocks, int maxReads, int maxMerges)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxReads, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxMerges, 2);
        if (blocks.Count == 0)
        {
            throw new ArgumentException("a plan needs at least one block", nameof(blocks));
        }

        var nodes = new List<PlanNode>((blocks.Count + maxReads - 1) / maxReads);
        for (var start = 0; start < blocks.Count; start += maxReads)
        {
            var leaf = new PlanNode { Type = PlanNode.Types.Type.Read };
            for (var i = start; i < Math.Min(start + maxReads, blocks.Count); i++)
            {
                leaf.Blocks.Add(blocks[i]);
            }

            nodes.Add(leaf);
        }

        while (nodes.Count > 1)
        {
            var merges = new List<PlanNode>((nodes.Count + maxMerges - 1) / maxMerges);
            for (var start = 0; start < nodes.Count; start += maxMerges)
            {
                var merge = new PlanNode { Type = PlanNode.Types.Type.Merge };
                merge.Children.AddRange(nodes.Skip(start).Take(maxMerges));
                merges.Add(merge);
            }

            nodes = merges;
        }

        return nodes[0];
    }

    /// <summary>The number of READ nodes of a plan.</summary>
    public static int CountLeaves(PlanNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        return node.Type == PlanNode.Types.Type.Read ? 1 : node.Children.Sum(CountLeaves);
    }
}
