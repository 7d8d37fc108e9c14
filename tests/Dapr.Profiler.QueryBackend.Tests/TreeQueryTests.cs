using Dapr.Profiler.Model;
using Dapr.Profiler.Protos.QueryBackend;
using static Dapr.Profiler.QueryBackend.Tests.CorpusSeries;

namespace Dapr.Profiler.QueryBackend.Tests;

public sealed class TreeQueryTests
{
    private const long Second = 1000;

    [Fact]
    public async Task TreeOfOneServiceOverSeveralBlocks_IsTheMergeOfTheInputTrees_AndTotalsMatchTheIndependentReader()
    {
        using var cluster = new TestCluster();
        var b1 = await cluster.WriteSegmentAsync(Tenant, Load("go-cpu.pb.gz", "svc{env=a}", T0), Load("go-heap.pb.gz", "svc{env=a}", T0));
        var b2 = await cluster.WriteSegmentAsync(Tenant, Load("go-cpu-2.pb.gz", "svc{env=b}", T0 + (10 * Second)), Load("go-cpu-4.pb.gz", "other", T0));
        var b3 = await cluster.WriteSegmentAsync(Tenant, Load("go-cpu-3.pb.gz", "svc", T0 + (20 * Second)));
        var plan = Plans.Merge(Plans.Read(b1, b2), Plans.Merge(Plans.Read(b3)));

        var response = await cluster.InvokeAsync(Plans.Request(plan, Plans.Cpu("svc"), T0, T0 + (60 * Second), Plans.Tree()));

        var files = new[] { "go-cpu.pb.gz", "go-cpu-2.pb.gz", "go-cpu-3.pb.gz" };
        var tree = TreeReportCodec.ToStackTree(Assert.Single(response.Reports).Tree);
        var expected = MergedTree("cpu", files);
        Assert.True(expected.TreeEquals(tree), $"expected:\n{expected}\n\nactual:\n{tree}");
        Assert.Equal(files.Sum(f => Total(f, "cpu")), tree.Total);
        Assert.Equal(3, response.Stats.BlocksRead);
        Assert.Equal(3, response.Stats.DatasetsRead);
        Assert.True(response.Stats.BytesRead > 0);
        Assert.Equal(4, cluster.Invoker.Calls);
    }

    [Fact]
    public async Task OtherSampleTypes_AreSelectedByTheirProfileType()
    {
        using var cluster = new TestCluster();
        var block = await cluster.WriteSegmentAsync(Tenant, Load("go-heap.pb.gz", "svc", T0), Load("go-cpu.pb.gz", "svc", T0));
        var selector = "{service_name=\"svc\", __profile_type__=\"memory:inuse_space:bytes:space:bytes\"}";

        var response = await cluster.InvokeAsync(Plans.Request(Plans.Read(block), selector, T0, T0, Plans.Tree()));

        var tree = TreeReportCodec.ToStackTree(response.Reports[0].Tree);
        Assert.True(FileTree("go-heap.pb.gz", "inuse_space").TreeEquals(tree), tree.ToString());
        Assert.Equal(Total("go-heap.pb.gz", "inuse_space"), tree.Total);
    }

    [Fact]
    public async Task TimeRange_IsInclusiveAtBothEnds_InMilliseconds()
    {
        using var cluster = new TestCluster();
        var block = await cluster.WriteSegmentAsync(
            Tenant,
            Load("go-cpu.pb.gz", "svc", T0),
            Load("go-cpu-2.pb.gz", "svc", T0 + (10 * Second), extraNanos: 999_999),
            Load("go-cpu-3.pb.gz", "svc", T0 + (20 * Second)),
            Load("go-cpu-4.pb.gz", "svc", T0 + (30 * Second)));

        async Task<StackTree> Query(long start, long end) =>
            TreeReportCodec.ToStackTree((await cluster.InvokeAsync(Plans.Request(Plans.Read(block), Plans.Cpu("svc"), start, end, Plans.Tree()))).Reports[0].Tree);

        // A profile at T0+10s+0.999999ms belongs to millisecond T0+10s.
        Assert.True(MergedTree("cpu", "go-cpu-2.pb.gz", "go-cpu-3.pb.gz").TreeEquals(await Query(T0 + (10 * Second), T0 + (20 * Second))));
        Assert.True(MergedTree("cpu", "go-cpu-3.pb.gz").TreeEquals(await Query(T0 + (10 * Second) + 1, T0 + (30 * Second) - 1)));
        Assert.True(MergedTree("cpu", GoCpuFiles).TreeEquals(await Query(T0, T0 + (30 * Second))));
        Assert.Equal(0, (await Query(T0 + 1, T0 + (10 * Second) - 1)).Total);
    }

    [Theory]
    [InlineData("env=\"b\"", new[] { "go-cpu-2.pb.gz" })]
    [InlineData("env!=\"b\"", new[] { "go-cpu.pb.gz", "go-cpu-3.pb.gz" })]
    [InlineData("env=~\"a|b\"", new[] { "go-cpu.pb.gz", "go-cpu-2.pb.gz" })]
    [InlineData("env=\"\"", new[] { "go-cpu-3.pb.gz" })]
    [InlineData("pyroscope_spy=\"gospy\", __name__=\"process_cpu\"", new[] { "go-cpu.pb.gz", "go-cpu-2.pb.gz", "go-cpu-3.pb.gz" })]
    public async Task SelectorOnALabelTheMetadataDoesNotIndex_FiltersSeries(string matcher, string[] files)
    {
        using var cluster = new TestCluster();
        var block = await cluster.WriteSegmentAsync(
            Tenant, Load("go-cpu.pb.gz", "svc{env=a}", T0), Load("go-cpu-2.pb.gz", "svc{env=b}", T0), Load("go-cpu-3.pb.gz", "svc", T0));

        var response = await cluster.InvokeAsync(Plans.Request(Plans.Read(block), Plans.Cpu("svc", matcher), T0, T0, Plans.Tree()));

        var tree = TreeReportCodec.ToStackTree(response.Reports[0].Tree);
        Assert.True(MergedTree("cpu", files).TreeEquals(tree), tree.ToString());
    }

    [Fact]
    public async Task TenantIsolation_ADatasetOfAnotherTenantInASharedSegment_IsNeverRead_EvenWhenThePlanListsIt()
    {
        using var cluster = new TestCluster();
        var segment = await cluster.WriteSegmentAsync(
        [
            .. Load("go-cpu.pb.gz", "svc{env=a}", T0).Select(s => ("tenant-a", s)),
            .. Load("go-cpu-2.pb.gz", "svc{env=b}", T0).Select(s => ("tenant-b", s)),
            .. Load("go-cpu-3.pb.gz", "only-b{env=c}", T0).Select(s => ("tenant-b", s)),
        ]);
        Assert.Equal(3, segment.Datasets.Count);
        var plan = Plans.Merge(Plans.Read(segment), Plans.Read(segment.Clone()));
        var queries = new[] { Plans.Tree(), Plans.LabelValues("env"), Plans.LabelValues("service_name"), Plans.Pprof() };

        var forA = await cluster.InvokeAsync(Plans.Request(plan, $"{{__profile_type__=\"{CpuType}\"}}", T0, T0, ["tenant-a"], queries));

        var tree = TreeReportCodec.ToStackTree(forA.Reports[0].Tree);
        Assert.True(MergedTree("cpu", "go-cpu.pb.gz", "go-cpu.pb.gz").TreeEquals(tree), tree.ToString());
        Assert.Equal(["a"], forA.Reports[1].Labels.Names.ToArray());
        Assert.Equal(["svc"], forA.Reports[2].Labels.Names.ToArray());
        Assert.Equal(2 * Total("go-cpu.pb.gz", "cpu"), forA.Reports[3].Pprof.Sample.Sum(s => s.Value[0]));
        Assert.Equal(2, forA.Stats.DatasetsRead);
        Assert.Contains(cluster.Logs.Entries, e => e.EventId.Id == 6003 && e.Level == Microsoft.Extensions.Logging.LogLevel.Warning);

        var forBoth = await cluster.InvokeAsync(Plans.Request(Plans.Read(segment), $"{{__profile_type__=\"{CpuType}\"}}", T0, T0, ["tenant-a", "tenant-b"], queries));
        Assert.True(MergedTree("cpu", "go-cpu.pb.gz", "go-cpu-2.pb.gz", "go-cpu-3.pb.gz").TreeEquals(TreeReportCodec.ToStackTree(forBoth.Reports[0].Tree)));
        Assert.Equal(["a", "b", "c"], forBoth.Reports[1].Labels.Names.ToArray());

        var forNobody = await cluster.InvokeAsync(Plans.Request(Plans.Read(segment), "{}", T0, T0, ["tenant-c"], queries));
        Assert.Equal(0, TreeReportCodec.ToStackTree(forNobody.Reports[0].Tree).Total);
        Assert.Equal(0, forNobody.Stats.BytesRead);
    }

    [Fact]
    public async Task Truncation_AtMergeNodes_KeepsTheExactTotal_AndBoundsTheSize()
    {
        using var cluster = new TestCluster();
        var blocks = new List<Protos.Block.BlockMeta>();
        for (var i = 0; i < GoCpuFiles.Length; i++)
        {
            blocks.Add(await cluster.WriteSegmentAsync(Tenant, Load(GoCpuFiles[i], "svc", T0 + i)));
        }

        var plan = Plans.Merge(Plans.Read(blocks[0], blocks[1]), Plans.Merge(Plans.Read(blocks[2]), Plans.Read(blocks[3])));
        const int maxNodes = 16;

        var response = await cluster.InvokeAsync(Plans.Request(plan, Plans.Cpu("svc"), T0, T0 + 10, Plans.Tree(maxNodes)));

        var tree = TreeReportCodec.ToStackTree(response.Reports[0].Tree);
        var full = MergedTree("cpu", GoCpuFiles);
        Assert.Equal(GoCpuFiles.Sum(f => Total(f, "cpu")), tree.Total);
        Assert.Equal(full.Total, tree.Total);
        Assert.True(full.NodeCount > 10 * maxNodes, $"the test needs a large tree; it has {full.NodeCount} nodes");
        var others = tree.Nodes().Count(n => n.Path[^1] == TreeReports.OtherName);
        Assert.InRange(tree.NodeCount - others, 1, 2 * maxNodes);

        // A kept frame is a frame of the full tree. Its total is at most the full one: an earlier stage may have
        // folded part of it into an "other" of its parent (Pyroscope's trade-off), but values never move to
        // another real frame.
        var fullNodes = full.Nodes().ToDictionary(n => string.Join(';', n.Path), n => n.Total);
        foreach (var (path, _, total) in tree.Nodes().Where(n => !n.Path.Contains(TreeReports.OtherName)))
        {
            Assert.InRange(total, 1, fullNodes[string.Join(';', path)]);
        }
    }

    [Fact]
    public async Task CallSite_KeepsOnlyStacksWithThatPrefix()
    {
        using var cluster = new TestCluster();
        var b1 = await cluster.WriteSegmentAsync(Tenant, Load("go-cpu.pb.gz", "svc", T0));
        var b2 = await cluster.WriteSegmentAsync(Tenant, Load("go-cpu-2.pb.gz", "svc", T0));
        var full = MergedTree("cpu", "go-cpu.pb.gz", "go-cpu-2.pb.gz");
        var root = full.Nodes().Where(n => n.Path.Count == 1).MaxBy(n => n.Total);
        var child = full.Nodes().Where(n => n.Path.Count == 2 && n.Path[0] == root.Path[0]).MaxBy(n => n.Total);
        string[] callSite = [.. child.Path];

        var response = await cluster.InvokeAsync(
            Plans.Request(Plans.Merge(Plans.Read(b1), Plans.Read(b2)), Plans.Cpu("svc"), T0, T0, Plans.Tree(0, callSite)));

        var tree = TreeReportCodec.ToStackTree(response.Reports[0].Tree);
        Assert.Equal(child.Total, tree.Total);
        Assert.All(tree.Nodes(), n => Assert.Equal(callSite.Take(n.Path.Count), n.Path.Take(callSite.Length)));
        Assert.True(TreeReports.KeepCallSite(full, callSite).TreeEquals(tree));
    }

    [Fact]
    public async Task InvalidRequests_AreRejectedWithInvalidArgument()
    {
        using var cluster = new TestCluster();
        var block = await cluster.WriteSegmentAsync(Tenant, Load("go-cpu.pb.gz", "svc", T0));
        var plan = Plans.Read(block);
        InvokeRequest[] invalid =
        [
            Plans.Request(plan, "{service_name=", T0, T0, Plans.Tree()),
            Plans.Request(plan, "{}", T0, T0, [], [Plans.Tree()]),
            Plans.Request(plan, "{}", T0, T0),
            Plans.Request(plan, "{}", T0 + 1, T0, Plans.Tree()),
            Plans.Request(plan, "{}", T0, T0, Plans.TimeSeries(0.0001)),
            Plans.Request(plan, "{}", T0, T0, Plans.LabelValues(string.Empty)),
            Plans.Request(plan, "{}", T0, T0, new Query { Type = QueryType.Unspecified }),
            Plans.Request(new PlanNode(), "{}", T0, T0, Plans.Tree()),
            new InvokeRequest { TenantId = { Tenant }, Query = { Plans.Tree() } },
            // A pprof needs one profile type: both CPU types of the service are selected here.
            Plans.Request(plan, "{service_name=\"svc\"}", T0, T0, Plans.Pprof()),
        ];

        foreach (var request in invalid)
        {
            var error = await Assert.ThrowsAsync<Mesh.ServiceException>(() => cluster.InvokeAsync(request));
            Assert.Equal(Mesh.ServiceStatus.InvalidArgument, error.Status);
        }
    }
}
