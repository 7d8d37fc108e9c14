using Dapr.Profiler.Model;
using Dapr.Profiler.Protos.QueryBackend;

namespace Dapr.Profiler.QueryBackend;

/// <summary>
/// Transforms call trees the way query stages do: truncation to <c>max_nodes</c> and the call-site filter. Trees
/// travel between stages as <see cref="TreeReport"/>s (<see cref="TreeReportCodec"/>).
/// </summary>
/// <remarks>
/// <para>
/// Truncation (<see cref="Truncate"/>) is Pyroscope's between-stage truncation (<c>Tree.Bytes(maxNodes)</c>): with
/// the threshold <see cref="FlameGraphEncoder.MinValue"/> (the <c>max_nodes</c>-th largest node total), a child whose
/// total is below it is removed with its subtree, and the removed totals of each parent are added to one child named
/// <see cref="OtherName"/> (self = total). Every kept node keeps its self and total, so the tree's total is exact.
/// </para>
/// </remarks>
public static class TreeReports
{
    /// <summary>The frame name that holds the truncated children of a node.</summary>
    public const string OtherName = "other";

    /// <summary>
    /// Truncates a tree to about <paramref name="maxNodes"/> nodes (see the remarks of <see cref="TreeReports"/>).
    /// Returns <paramref name="tree"/> itself when nothing needs to be removed (<paramref name="maxNodes"/> ≤ 0, or
    /// the tree is small enough).
    /// </summary>
    public static StackTree Truncate(StackTree tree, long maxNodes)
    {
        ArgumentNullException.ThrowIfNull(tree);
        var minValue = FlameGraphEncoder.MinValue(tree, maxNodes);
        if (minValue <= 0)
        {
            return tree;
        }

        var result = new StackTree((int)Math.Min(tree.NodeCount + 1, maxNodes * 2));
        var nameMap = new int[tree.NameCount];
        Array.Fill(nameMap, -1);
        var other = result.InternName(OtherName);
        var path = new List<int>();
        var pending = new Stack<(int Node, int Depth)>();
        pending.Push((StackTree.Root, 0));
        while (pending.TryPop(out var item))
        {
            if (path.Count > item.Depth)
            {
                path.RemoveRange(item.Depth, path.Count - item.Depth);
            }

            if (item.Node != StackTree.Root)
            {
                var nameId = tree.NodeNameId(item.Node);
                if (nameMap[nameId] < 0)
                {
                    nameMap[nameId] = result.InternName(tree.GetName(nameId));
                }

                path.Add(nameMap[nameId]);
                result.Add(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(path), tree.NodeSelf(item.Node));
            }

            long truncated = 0;
            for (var child = tree.FirstChild(item.Node); child != StackTree.NoNode; child = tree.NextSibling(child))
            {
                if (tree.NodeTotal(child) >= minValue)
                {
                    pending.Push((child, path.Count));
                }
                else
                {
                    truncated = SaturatingMath.Add(truncated, tree.NodeTotal(child));
                }
            }

            if (truncated > 0)
            {
                path.Add(other);
                result.Add(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(path), truncated);
                path.RemoveAt(path.Count - 1);
            }
        }

        return result;
    }

    /// <summary>
    /// Keeps only the stacks that start with <paramref name="callSite"/> (root first), with their full frames; an
    /// empty call site keeps everything and returns <paramref name="tree"/> itself.
    /// </summary>
    public static StackTree KeepCallSite(StackTree tree, IReadOnlyList<string> callSite)
    {
        ArgumentNullException.ThrowIfNull(tree);
        ArgumentNullException.ThrowIfNull(callSite);
        if (callSite.Count == 0)
        {
            return tree;
        }

        var result = new StackTree();
        var start = StackTree.Root;
        foreach (var frame in callSite)
        {
            if (!tree.TryGetNameId(frame, out var nameId))
            {
                return result;
            }

            start = tree.FindChild(start, nameId);
            if (start == StackTree.NoNode)
            {
                return result;
            }
        }

        var nameMap = new int[tree.NameCount];
        Array.Fill(nameMap, -1);
        var prefix = new List<int>(callSite.Count);
        foreach (var frame in callSite)
        {
            prefix.Add(result.InternName(frame));
        }

        var path = new List<int>(prefix);
        var pending = new Stack<(int Node, int Depth)>();
        pending.Push((start, prefix.Count));
        while (pending.TryPop(out var item))
        {
            if (path.Count > item.Depth)
            {
                path.RemoveRange(item.Depth, path.Count - item.Depth);
            }

            if (item.Node != start)
            {
                var nameId = tree.NodeNameId(item.Node);
                if (nameMap[nameId] < 0)
                {
                    nameMap[nameId] = result.InternName(tree.GetName(nameId));
                }

                path.Add(nameMap[nameId]);
            }

            result.Add(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(path), tree.NodeSelf(item.Node));
            for (var child = tree.FirstChild(item.Node); child != StackTree.NoNode; child = tree.NextSibling(child))
            {
                pending.Push((child, path.Count));
            }
        }

        return result;
    }
}
