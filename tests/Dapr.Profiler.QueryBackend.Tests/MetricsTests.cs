using Dapr.Profiler.Protos.QueryBackend;
using static Dapr.Profiler.QueryBackend.Tests.CorpusSeries;

namespace Dapr.Profiler.QueryBackend.Tests;

/// <summary>The process-wide counters behind <c>/metrics</c>: each query once, each byte read once.</summary>
public sealed class MetricsTests
{
    [Fact]
    public async Task ANestedPlan_CountsOneQuery_AndEveryByteOnce_AtTheReadNodes()
    {
        RecordingStore? recording = null;
        using var cluster = new TestCluster(wrapStore: store => recording = new RecordingStore(store, rangeReads: true));
        var b1 = await cluster.WriteSegmentAsync(Tenant, Load("go-cpu.pb.gz", "svc", T0));
        var b2 = await cluster.WriteSegmentAsync(Tenant, Load("go-cpu-2.pb.gz", "svc", T0));
        var b3 = await cluster.WriteSegmentAsync(Tenant, Load("go-cpu-3.pb.gz", "svc", T0), Load("go-heap.pb.gz", "other", T0));
        var plan = Plans.Merge(Plans.Read(b1), Plans.Merge(Plans.Read(b2), Plans.Read(b3)));

        var response = await cluster.InvokeAsync(Plans.Request(plan, Plans.Cpu("svc"), T0, T0, Plans.Tree(), Plans.TimeSeries(15)));

        var fetched = recording!.Reads.Sum(r => (long)r.Returned);
        Assert.True(fetched > 0);
        Assert.Equal(5, cluster.Invoker.Calls);
        Assert.Equal(1, cluster.Metrics.QueriesExecuted);
        Assert.Equal(3, cluster.Metrics.BlocksRead);
        Assert.Equal(fetched, cluster.Metrics.BytesRead);
        Assert.Equal(response.Stats.BytesRead, cluster.Metrics.BytesRead);
    }

    [Fact]
    public async Task Counters_Accumulate_OverQueries_IncludingARootReadNode()
    {
        RecordingStore? recording = null;
        using var cluster = new TestCluster(wrapStore: store => recording = new RecordingStore(store, rangeReads: false));
        var block = await cluster.WriteSegmentAsync(Tenant, Load("go-cpu.pb.gz", "svc", T0));

        var first = await cluster.InvokeAsync(Plans.Request(Plans.Read(block), Plans.Cpu("svc"), T0, T0, Plans.Tree()));
        var second = await cluster.InvokeAsync(Plans.Request(Plans.Merge(Plans.Read(block)), Plans.Cpu("svc"), T0, T0, Plans.Tree()));

        Assert.Equal(2, cluster.Metrics.QueriesExecuted);
        Assert.Equal(2, cluster.Metrics.BlocksRead);
        Assert.Equal(2 * (long)block.Size, cluster.Metrics.BytesRead);
        Assert.Equal(first.Stats.BytesRead + second.Stats.BytesRead, cluster.Metrics.BytesRead);
        Assert.Equal(recording!.Reads.Sum(r => (long)r.Returned), cluster.Metrics.BytesRead);
    }

    [Fact]
    public async Task AFailedPlan_StillCountsAsAQuery_ButReadsNothing()
    {
        using var cluster = new TestCluster();
        var request = Plans.Request(Plans.Merge(new PlanNode()), Plans.Cpu("svc"), T0, T0, Plans.Tree());

        await Assert.ThrowsAnyAsync<Exception>(() => cluster.InvokeAsync(request));

        Assert.Equal(1, cluster.Metrics.QueriesExecuted);
        Assert.Equal(0, cluster.Metrics.BytesRead);
    }
}
