using Dapr.Profiler.Model;
using Dapr.Profiler.Protos.QueryBackend;
using Google.Protobuf;
using static Dapr.Profiler.QueryBackend.Tests.CorpusSeries;

namespace Dapr.Profiler.QueryBackend.Tests;

public sealed class TreeReportsTests
{
    private static StackTree Build(params (string Stack, long Value)[] stacks)
    {
        var tree = new StackTree();
        foreach (var (stack, value) in stacks)
        {
            tree.Add(stack.Split(';'), value);
        }

        return tree;
    }

    [Theory]
    [InlineData("go-cpu.pb.gz", "cpu")]
    [InlineData("go-heap.pb.gz", "alloc_space")]
    [InlineData("node-wall.pb.gz", "wall")]
    public void CorpusTrees_RoundTripThroughTheWireForm(string file, string sampleType)
    {
        var tree = FileTree(file, sampleType);
        var bytes = TreeReportCodec.ToReport(tree).ToByteArray();

        var decoded = TreeReportCodec.ToStackTree(TreeReport.Parser.ParseFrom(bytes));

        Assert.True(tree.TreeEquals(decoded));
        Assert.Equal(Total(file, sampleType), decoded.Total);
    }

    [Fact]
    public void TheWireForm_IsParentIndexed_WithNamesByFirstUse()
    {
        var report = TreeReportCodec.ToReport(Build(("main;foo", 60), ("main;bar", 40), ("main", 5)));

        Assert.Equal(["main", "foo", "bar"], report.Names.ToArray());
        Assert.Equal([-1, 0, 1, 1], report.Parent.ToArray());
        Assert.Equal([0, 0, 1, 2], report.Name.ToArray());
        Assert.Equal([0L, 5, 60, 40], report.Self.ToArray());
    }

    [Fact]
    public void EmptyTrees_AndAbsentReports_AreTheEmptyTree()
    {
        var empty = TreeReportCodec.ToReport(new StackTree());
        Assert.Equal([-1], empty.Parent.ToArray());
        Assert.Equal(0, TreeReportCodec.ToStackTree(empty).NodeCount);
        Assert.Equal(0, TreeReportCodec.ToStackTree(null).NodeCount);
        Assert.Equal(0, TreeReportCodec.ToStackTree(new TreeReport()).NodeCount);
    }

    [Fact]
    public void MalformedReports_AreRejected()
    {
        TreeReport[] malformed =
        [
            new() { Names = { "a" }, Parent = { -1, 0 }, Name = { 0, 0 }, Self = { 0 } },
            new() { Names = { "a" }, Parent = { 0, 0 }, Name = { 0, 0 }, Self = { 0, 1 } },
            new() { Names = { "a" }, Parent = { -1, 1 }, Name = { 0, 0 }, Self = { 0, 1 } },
            new() { Names = { "a" }, Parent = { -1, -1 }, Name = { 0, 0 }, Self = { 0, 1 } },
            new() { Names = { "a" }, Parent = { -1, 0 }, Name = { 0, 1 }, Self = { 0, 1 } },
        ];

        foreach (var report in malformed)
        {
            Assert.Throws<ArgumentException>(() => TreeReportCodec.ToStackTree(report));
        }
    }

    [Fact]
    public void NegativeSelfValues_FromSumsThatWrapped_CountAsZero_SoQueriesStillAnswer()
    {
        var report = new TreeReport { Names = { "a", "b" }, Parent = { -1, 0, 1 }, Name = { 0, 0, 1 }, Self = { 0, -2, 7 } };

        var tree = TreeReportCodec.ToStackTree(report);

        Assert.Equal("a 0/7\na;b 7/7", tree.ToString());
    }

    [Fact]
    public void Truncate_OfSaturatedTotals_FoldsIntoANonNegativeOther()
    {
        var tree = Build(("a;b", long.MaxValue), ("a;c", long.MaxValue), ("a;d", 1), ("e", 5));

        var truncated = TreeReports.Truncate(tree, 2);

        Assert.All(truncated.Nodes(), n => Assert.True(n.Self >= 0 && n.Total >= 0, truncated.ToString()));
        Assert.Equal(long.MaxValue, truncated.Total);
    }

    [Fact]
    public void Truncate_FoldsChildrenBelowTheMaxNodesThLargestTotal_IntoOther()
    {
        // Totals: a 12, b 10, e 5, c 1, d 1 → with 3 nodes the threshold is 5.
        var tree = Build(("a;b", 10), ("a;c", 1), ("a;d", 1), ("e", 5));

        var truncated = TreeReports.Truncate(tree, 3);

        Assert.True(Build(("a;b", 10), ("a;other", 2), ("e", 5)).TreeEquals(truncated), truncated.ToString());
        Assert.Same(tree, TreeReports.Truncate(tree, 0));
        Assert.Same(tree, TreeReports.Truncate(tree, 5));
    }

    [Fact]
    public void Truncate_MergesFoldedValuesIntoARealOtherFrame()
    {
        var tree = Build(("other", 7), ("x", 1), ("y", 9), ("y;z", 3));

        var truncated = TreeReports.Truncate(tree, 2);

        Assert.True(Build(("other", 8), ("y", 9), ("y;other", 3)).TreeEquals(truncated), truncated.ToString());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(8)]
    [InlineData(64)]
    [InlineData(500)]
    public void Truncate_KeepsTheTotal_AndFlameGraphsEncodeAsPyroscopeTruncatesThem(long maxNodes)
    {
        var tree = MergedTree("cpu", GoCpuFiles);

        var truncated = TreeReports.Truncate(tree, maxNodes);

        Assert.Equal(tree.Total, truncated.Total);
        var threshold = FlameGraphEncoder.MinValue(tree, maxNodes);
        Assert.All(truncated.Nodes(), n => Assert.True(n.Path[^1] == TreeReports.OtherName || n.Total >= threshold));
        Assert.Equal(FlameGraphEncoder.Encode(tree, maxNodes), FlameGraphEncoder.Encode(truncated, 0));
    }

    [Fact]
    public void KeepCallSite_KeepsTheSubtreeWithItsPrefix()
    {
        var tree = Build(("main;a;b", 3), ("main;a", 2), ("main;c", 4), ("other;a", 1));

        Assert.True(Build(("main;a;b", 3), ("main;a", 2)).TreeEquals(TreeReports.KeepCallSite(tree, ["main", "a"])));
        Assert.Equal(0, TreeReports.KeepCallSite(tree, ["main", "x"]).NodeCount);
        Assert.Equal(0, TreeReports.KeepCallSite(tree, ["nope"]).NodeCount);
        Assert.Same(tree, TreeReports.KeepCallSite(tree, []));
    }
}
