using Dapr.Profiler.Protos.QueryBackend;

namespace Dapr.Profiler.Model;

/// <summary>
/// The wire form of a call tree between query stages (<see cref="TreeReport"/>): node 0 is the root, with parent -1,
/// name 0 (ignored) and self 0; every other node i has <c>parent[i] &lt; i</c>, a name index into <c>names</c> and its
/// self value. Totals are not sent: a node's total is the sum of the selves of its subtree. The query-backend sends
/// trees this way between plan stages and the query-frontend reads the final one.
/// </summary>
public static class TreeReportCodec
{
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

    /// <summary>
    /// Decodes a report (an absent or empty report is the empty tree). Values are data, not structure: a negative
    /// self (a sum that wrapped in an older writer) counts as zero, and totals are rebuilt with saturating sums
    /// (<see cref="SaturatingMath"/>), so any report our own stages produced decodes.
    /// </summary>
    /// <exception cref="ArgumentException">The report's structure is malformed: array lengths differ, a parent does not
    /// precede its child, or a name index is out of range.</exception>
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
            throw new ArgumentException($"tree report has {count} parents, {report.Name.Count} names and {report.Self.Count} self values");
        }

        if (report.Parent[0] != -1)
        {
            throw new ArgumentException("node 0 is not a root (parent -1)");
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
                throw new ArgumentException($"node {node} has parent {parent}; parents must precede their children");
            }

            if ((uint)name >= (uint)nameIds.Length)
            {
                throw new ArgumentException($"node {node} has name index {name} of {nameIds.Length}");
            }

            depth[node] = depth[parent] + 1;
            if (self <= 0)
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
}
