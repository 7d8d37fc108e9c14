using Dapr.Profiler.Server.FunctionalTests.Hosting;
using Dapr.Profiler.TestKit;

namespace Dapr.Profiler.Server.FunctionalTests.Support;

/// <summary>
/// One scenario body, run unchanged against the all-in-one server and against the mesh of processes: three ingest
/// forms (pyroscope-go multipart, @pyroscope/nodejs raw pprof, push.v1 binary) at the ingest address, then the
/// query API at the query address answers with the profile types, the services and, per service, the merged flame
/// graph's total that an independent reader computed.
/// </summary>
public static class IngestQueryScenario
{
    private const string GoCpu = "process_cpu:cpu:nanoseconds:cpu:nanoseconds";
    private const string NodeWall = "wall:wall:nanoseconds:wall:nanoseconds";

    public static async Task RunAsync(IProfilerServer ingest, IProfilerServer query, string prefix, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ingest);
        ArgumentNullException.ThrowIfNull(query);
        var goService = prefix + "-go";
        var nodeService = prefix + "-node";
        var pushService = prefix + "-push";
        var goTime = Corpus.Expect("go-cpu.pb.gz").TimeNanos;

        await ingest.SendOkAsync(
            IngestRequests.Ingest(PyroscopeGo.IngestUrl(goService, goTime, ("env", "scenario")), IngestRequests.Multipart(Corpus.ReadProfile("go-cpu.pb.gz"))),
            cancellationToken);
        await ingest.SendOkAsync(Pusher.Request(new SentProfile("anonymous", nodeService, "node-wall.pb.gz", Pusher.BaseTimestampNanos), tenant: null), cancellationToken);
        await ingest.SendOkAsync(
            IngestRequests.Push(IngestRequests.PushOf(([("__name__", "process_cpu"), ("service_name", pushService)], Corpus.ReadProfile("go-cpu-2.pb.gz")))),
            cancellationToken);

        // An acknowledged push is durable and indexed: the query API sees it at once, no waiting.
        var querier = new Querier(query);
        const long start = 1;
        var end = ServerApi.AllTimeEndMs;
        var types = await querier.ProfileTypesAsync(start, end);
        Assert.Contains(GoCpu, types);
        Assert.Contains(NodeWall, types);
        var services = await querier.LabelValuesAsync("service_name", "{}", start, end);
        Assert.Contains(goService, services);
        Assert.Contains(nodeService, services);
        Assert.Contains(pushService, services);
        Assert.Contains("scenario", await querier.LabelValuesAsync("env", $"{{service_name=\"{goService}\"}}", start, end));

        await AssertTotalAsync(querier, GoCpu, goService, Corpus.Expect("go-cpu.pb.gz").Totals["cpu"], query);
        await AssertTotalAsync(querier, NodeWall, nodeService, Corpus.Expect("node-wall.pb.gz").Totals["wall"], query);
        await AssertTotalAsync(querier, GoCpu, pushService, Corpus.Expect("go-cpu-2.pb.gz").Totals["cpu"], query);

        // The merged pprof carries the same total.
        var profile = await querier.MergeProfileAsync(GoCpu, $"{{service_name=\"{goService}\"}}", start, end);
        var cpuIndex = profile.SampleType.Select((t, i) => (Name: profile.StringTable[(int)t.Type], i)).First(t => t.Name == "cpu").i;
        Assert.Equal(Corpus.Expect("go-cpu.pb.gz").Totals["cpu"], profile.Sample.Sum(s => s.Value[cpuIndex]));
    }

    public static async Task AssertTotalAsync(Querier querier, string profileType, string service, long expected, IProfilerServer server)
    {
        ArgumentNullException.ThrowIfNull(querier);
        ArgumentNullException.ThrowIfNull(server);
        var graph = await querier.MergeAsync(profileType, $"{{service_name=\"{service}\"}}", 1, ServerApi.AllTimeEndMs);
        Assert.True(expected == graph.Total, $"{service} {profileType}: total {graph.Total}, independent reader {expected}\n{server.Logs}");
    }
}
