using Dapr.Profiler.Model;
using Dapr.Profiler.Protos.QueryBackend;

namespace Dapr.Profiler.QueryBackend;

/// <summary>
/// Converts call trees between <see cref="StackTree"/> and the wire form <see cref="TreeReport"/>, and transforms
/// them the way query stages do: truncation to <c>max_nodes</c> and the call-site filter. Used by the query-backend
/// between plan stages and by the query-frontend on the final report.
/// </summary>
/// <remarks>
/// <para>
/// Wire form: node 0 is the root, with parent -1, name 0 (ignored: the root has no name) and self 0; every other node
/// i has <c>parent[i] &lt; i</c>, a name index into <c>names</c> and its self value. Totals are not sent: a node's
/// total is the sum of the selves of its subtree, and every node of a <see cref="StackTree"/> has a positive total.
/// </para>
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

    /// <summary>Encodes a tree; names are numbered in order of first use.</summary>
    public static TreeReport ToReport(StackTree tree)
    {
        ArgumentNullException.ThrowIfNull(tree);
        var count = tree.NodeCount + 1;
        var report = new TreeReport();
        var nameIndex = new int[tree.NameCount];
        Array.Fill(nameIndex, -1);
        var parents = new int[count];
        var names = new int[count];
        var selves = new long[count];
        parents[0] = -1;
        for (var node = 1; node < count; node++)
        {
            var nameId = tree.NodeNameId(node);
            if (nameIndex[nameId] < 0)
            {
                nameIndex[nameId] = report.Names.Count;
                report.Names.Add(tree.GetName(nameId));
            }

            parents[node] = tree.NodeParent(node);
            names[node] = nameIndex[nameId];
            selves[node] = tree.NodeSelf(node);
        }

        report.Parent.AddRange(parents);
        report.Name.AddRange(names);
        report.Self.AddRange(selves);
        return report;
    }

    /// <summary>Decodes a report (an absent or empty report is the empty tree).</summary>
    /// <exception cref="ArgumentException">The report is malformed: array lengths differ, a parent does not precede its
    /// child, a name index is out of range, or a self value is negative.</exception>
    public static StackTree ToStackTree(TreeReport? report)
    {
        var tree = new StackTree();
        if (report is null || report.Parent.Count == 0)
        {
            return tree;
        }

        var count = report.Parent.Count;
        if (report.Name.Count != count || report.Self.Count != count)
        {
            throw new ArgumentException($"tree report has {count} parents, {report.Name.Count} names and {report.Self.Count} self values", nameof(report));
        }

        if (report.Parent[0] != -1)
        {
            throw new ArgumentException("tree report node 0 is not a root (parent -1)", nameof(report));
        }

        var nameIds = new int[report.Names.Count];
        for (var i = 0; i < nameIds.Length; i++)
        {
            nameIds[i] = tree.InternName(report.Names[i]);
        }

        var depth = new int[count];
        var path = new int[64];
        for (var node = 1; node < count; node++)
        {
            var parent = report.Parent[node];
            var name = report.Name[node];
            var self = report.Self[node];
            if (parent < 0 || parent >= node)
            {
                throw new ArgumentException($"tree report node {node} has parent {parent}; parents must precede their children", nameof(report));
            }

            if ((uint)name >= (uint)nameIds.Length)
            {
                throw new ArgumentException($"tree report node {node} has name index {name} of {nameIds.Length}", nameof(report));
            }

            if (self < 0)
            {
                throw new ArgumentException($"tree report node {node} has a negative self value", nameof(report));
            }

            depth[node] = depth[parent] + 1;
            if (self == 0)
            {
                continue;
            }

            if (path.Length < depth[node])
            {
                Array.Resize(ref path, Math.Max(depth[node], path.Length * 2));
            }

            var at = node;
            for (var d = depth[node] - 1; d >= 0; d--)
            {
                path[d] = nameIds[report.Name[at]];
                at = report.Parent[at];
            }

            tree.Add(path.AsSpan(0, depth[node]), self);
        }

        return tree;
    }

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
                    truncated += tree.NodeTotal(child);
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
