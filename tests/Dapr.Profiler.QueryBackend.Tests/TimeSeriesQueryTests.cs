using Dapr.Profiler.Model;
using Dapr.Profiler.Protos.Block;
using Dapr.Profiler.Protos.QueryBackend;
using static Dapr.Profiler.QueryBackend.Tests.CorpusSeries;

namespace Dapr.Profiler.QueryBackend.Tests;

public sealed class TimeSeriesQueryTests
{
    // Bucket edges: S, S+15s, S+30s, S+45s, S+60s = end.
    private const long S = T0 + 60_000;
    private const long Step = 15_000;
    private const long End = S + (4 * Step);

    private static readonly long C1 = Total("go-cpu.pb.gz", "cpu");
    private static readonly long C2 = Total("go-cpu-2.pb.gz", "cpu");
    private static readonly long C3 = Total("go-cpu-3.pb.gz", "cpu");
    private static readonly long C4 = Total("go-cpu-4.pb.gz", "cpu");

    /// <summary>Profiles around the bucket boundaries, in two blocks; see each line for its bucket.</summary>
    private static async Task<PlanNode> WriteProfilesAsync(TestCluster cluster)
    {
        var b1 = await cluster.WriteSegmentAsync(
            Tenant,
            Load("go-cpu.pb.gz", "svc{env=a}", S - Step),                   // = start − step: outside every bucket
            Load("go-cpu-2.pb.gz", "svc{env=a}", S - Step + 1),             // (start − step, start] → S
            Load("go-cpu-3.pb.gz", "svc{env=b}", S, extraNanos: 999_999),   // ms S → S
            Load("go-cpu-4.pb.gz", "svc{env=a}", S + 1));                   // → S+15s
        var b2 = await cluster.WriteSegmentAsync(
            Tenant,
            Load("go-cpu.pb.gz", "svc{env=a}", S + Step),                   // on an edge → S+15s
            Load("go-cpu-2.pb.gz", "svc{env=b}", S + (3 * Step) + 1),       // → S+60s (S+45s stays empty)
            Load("go-cpu-3.pb.gz", "svc{env=a}", End + 1),                  // after end: outside
            Load("go-cpu-4.pb.gz", "svc", S + (2 * Step)));                 // no env label → S+30s
        return Plans.Merge(Plans.Read(b1), Plans.Read(b2));
    }

    [Fact]
    public async Task WithoutGroupBy_OneSeries_RightEdgeBuckets_EmptyBucketsOmitted_WithSumsAndCounts()
    {
        using var cluster = new TestCluster();
        var plan = await WriteProfilesAsync(cluster);

        var response = await cluster.InvokeAsync(Plans.Request(plan, Plans.Cpu("svc"), S, End, Plans.TimeSeries(15)));

        var series = Assert.Single(response.Reports[0].TimeSeries.Series);
        Assert.Empty(series.Labels);
        Assert.Equal([S, S + Step, S + (2 * Step), S + (4 * Step)], series.Timestamp.ToArray());
        Assert.Equal([C2 + C3, C4 + C1, C4, C2], series.Sum.ToArray());
        Assert.Equal([2L, 2, 1, 1], series.Count.ToArray());
    }

    [Fact]
    public async Task GroupBy_SplitsSeriesByTheProjectedLabels_AndAbsentLabelsGroupTogether()
    {
        using var cluster = new TestCluster();
        var plan = await WriteProfilesAsync(cluster);

        var response = await cluster.InvokeAsync(Plans.Request(plan, Plans.Cpu("svc"), S, End, Plans.TimeSeries(15, "env")));

        var series = response.Reports[0].TimeSeries.Series;
        Assert.Equal(3, series.Count);
        Assert.Empty(series[0].Labels);
        Assert.Equal([S + (2 * Step)], series[0].Timestamp.ToArray());
        Assert.Equal([(double)C4], series[0].Sum.ToArray());
        Assert.Equal([1L], series[0].Count.ToArray());

        Assert.Equal(("env", "a"), (series[1].Labels[0].Name, series[1].Labels[0].Value));
        Assert.Equal([S, S + Step], series[1].Timestamp.ToArray());
        Assert.Equal([C2, C4 + C1], series[1].Sum.ToArray());
        Assert.Equal([1L, 2], series[1].Count.ToArray());

        Assert.Equal(("env", "b"), (series[2].Labels[0].Name, series[2].Labels[0].Value));
        Assert.Equal([S, S + (4 * Step)], series[2].Timestamp.ToArray());
        Assert.Equal([C3, C2], series[2].Sum.ToArray());
        Assert.Equal([1L, 1], series[2].Count.ToArray());
    }

    [Fact]
    public async Task AnEndBetweenEdges_DropsProfilesAfterTheLastEdge_AndOtherQueriesKeepTheirOwnRange()
    {
        using var cluster = new TestCluster();
        var plan = await WriteProfilesAsync(cluster);

        // Edges S … S+45s; the profile at S+45s+1ms would go to S+60s > end.
        var response = await cluster.InvokeAsync(
            Plans.Request(plan, Plans.Cpu("svc"), S, S + (3 * Step) + 1, Plans.TimeSeries(15, "service_name", "pod"), Plans.Tree()));

        var series = Assert.Single(response.Reports[0].TimeSeries.Series);
        Assert.Equal(("service_name", "svc"), (Assert.Single(series.Labels).Name, series.Labels[0].Value));
        Assert.Equal([S, S + Step, S + (2 * Step)], series.Timestamp.ToArray());
        Assert.Equal([C2 + C3, C4 + C1, C4], series.Sum.ToArray());

        // The tree reads [start, end] only: not the profile in (start − step, start), but the one at S+45s+1ms.
        var tree = TreeReportCodec.ToStackTree(response.Reports[1].Tree);
        Assert.Equal(C3 + C4 + C1 + C2 + C4, tree.Total);
    }

    [Fact]
    public async Task AStepThatIsNotAWholeNumberOfSeconds_PlacesEdgesInMilliseconds()
    {
        using var cluster = new TestCluster();
        var block = await cluster.WriteSegmentAsync(
            Tenant, Load("go-cpu.pb.gz", "svc", S + 1), Load("go-cpu-2.pb.gz", "svc", S + 1501), Load("go-cpu-3.pb.gz", "svc", S + 1500));

        var response = await cluster.InvokeAsync(Plans.Request(Plans.Read(block), Plans.Cpu("svc"), S, S + 3000, Plans.TimeSeries(1.5)));

        var series = Assert.Single(response.Reports[0].TimeSeries.Series);
        Assert.Equal([S + 1500, S + 3000], series.Timestamp.ToArray());
        Assert.Equal([C1 + C3, C2], series.Sum.ToArray());
        Assert.Equal([2L, 1], series.Count.ToArray());
    }

    [Fact]
    public void BucketArithmetic_FollowsTheRightEdgeRule()
    {
        var request = Plans.Request(Plans.Read(new BlockMeta()), "{}", 1000, 1100, Plans.TimeSeries(0.03));
        var aggregator = new TimeSeriesAggregator(InvocationScope.Parse(request), request.Query[0].TimeSeries);

        Assert.Equal((971, 1100), aggregator.ReadRange);
        (long Ms, long? Edge)[] cases =
        [
            (970, null), (971, 1000), (1000, 1000), (1001, 1030), (1030, 1030), (1031, 1060), (1090, 1090), (1091, null), (1100, null), (1101, null),
        ];
        foreach (var (ms, edge) in cases)
        {
            var found = aggregator.TryGetBucket(ms, out var actual);
            Assert.Equal(edge, found ? actual : null);
        }
    }
}
