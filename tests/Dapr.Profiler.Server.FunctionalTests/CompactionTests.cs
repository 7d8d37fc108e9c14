using Dapr.Profiler.Protos.Querier;
using Dapr.Profiler.Server.FunctionalTests.Hosting;
using Dapr.Profiler.Server.FunctionalTests.Support;
using Dapr.Profiler.TestKit;

namespace Dapr.Profiler.Server.FunctionalTests;

/// <summary>
/// Compaction and retention in the all-in-one server, seen from outside: segments become level-3 blocks per tenant,
/// every query answers the same bytes before and after, replaced objects are deleted after the delay, and retention
/// removes expired data for good.
/// </summary>
public sealed class CompactionTests
{
    private const string Cpu = "process_cpu:cpu:nanoseconds:cpu:nanoseconds";
    private static readonly string[] Files = ["go-cpu.pb.gz", "go-cpu-2.pb.gz", "go-cpu-3.pb.gz", "go-cpu-4.pb.gz"];

    [Fact]
    public async Task SegmentsCompactToLevel3_AndEveryQueryAnswersTheSameBytesAsWithoutCompaction()
    {
        // The same uploads into a server that never compacts give the answers to compare with.
        await using var reference = await InProcessServer.StartAsync("--Compaction:Enabled=false");
        await using var server = await InProcessServer.StartAsync(
            "--Compaction:L0:MaxBlocks=3",
            "--Compaction:L0:MaxAge=00:00:01",
            "--Compaction:L1:MaxBlocks=2",
            "--Compaction:L1:MaxAge=00:00:01",
            "--Compaction:L2:MaxBlocks=2",
            "--Compaction:L2:MaxAge=00:00:01",
            "--Compaction:DeletionDelay=00:00:01",
            "--Compaction:CleanupInterval=00:00:00.200",
            "--Distributor:NumShards=1");
        await UploadAsync(reference);
        await UploadAsync(server);

        var times = Files.Select(f => Corpus.Expect(f).TimeNanos / 1_000_000).ToArray();
        var (start, end) = (times.Min() - 60_000, times.Max() + 60_000);
        const string AlphaAndBeta = "{service_name=~\"alpha|beta\"}";
        var requests = new (string Method, Google.Protobuf.IMessage Request)[]
        {
            ("SelectMergeStacktraces", Querier.MergeRequest(Cpu, "{service_name=\"alpha\"}", start, end)),
            ("SelectMergeProfile", new SelectMergeProfileRequest { ProfileTypeID = Cpu, LabelSelector = AlphaAndBeta, Start = start, End = end }),
            ("SelectSeries", new SelectSeriesRequest { ProfileTypeID = Cpu, LabelSelector = AlphaAndBeta, Start = start, End = end, Step = 1, GroupBy = { "service_name" } }),
            ("Series", new SeriesRequest { Matchers = { "{}" }, Start = start, End = end }),
        };
        var gamma = Querier.MergeRequest(Cpu, "{service_name=\"gamma\"}", start, end);
        var querier = new Querier(server);

        await WaitForAsync(server, async () => (await LevelsAsync(server)).All(l => l.Key == 3 || l.Value == 0), "every block at level 3");
        var expected = await AnswersAsync(new Querier(reference), requests);
        var after = await AnswersAsync(querier, requests);
        foreach (var (method, _) in requests)
        {
            Assert.True(expected[method] == after[method], $"{method} answers differently after compaction");
        }

        // The retried copy is stored twice without compaction, and counted once after it, as Pyroscope does.
        var cpu = Corpus.Expect(Files[0]).Totals["cpu"];
        Assert.Equal(2 * cpu, (await new Querier(reference).CallAsync("SelectMergeStacktraces", gamma, SelectMergeStacktracesResponse.Parser)).Flamegraph.Total);
        Assert.Equal(cpu, (await querier.CallAsync("SelectMergeStacktraces", gamma, SelectMergeStacktracesResponse.Parser)).Flamegraph.Total);

        var metrics = await server.MetricsAsync();
        Assert.True(metrics.GetValueOrDefault("dprof_compaction_jobs_total{level=\"0\",state=\"committed\"}") >= 1, string.Join('\n', metrics.Keys));
        Assert.True(metrics.GetValueOrDefault("dprof_compaction_jobs_total{level=\"2\",state=\"committed\"}") >= 1, string.Join('\n', metrics.Keys));
        Assert.Contains("dprof_compaction_time_to_first_compaction_seconds_count", metrics.Keys);

        // The replaced segments leave the bucket after the delay; only compacted blocks stay.
        await WaitForAsync(
            server,
            async () => Bucket.SegmentObjects(server.DataDirectory).Count == 0 && (await server.MetricsAsync()).GetValueOrDefault("dprof_tombstones", -1) == 0,
            "replaced objects deleted");
        Assert.True((await server.MetricsAsync()).GetValueOrDefault("dprof_compaction_objects_deleted_total") >= 10);
        var compacted = Directory.GetFiles(Path.Combine(server.DataDirectory, "bucket", "blocks"), "block.bin", SearchOption.AllDirectories);
        Assert.Equal((await server.QueryMetadataAsync("anonymous")).Blocks.Count, compacted.Length);

        // The same answers once more, now that only compacted blocks are left to read.
        Assert.Equal(after, await AnswersAsync(querier, requests));
        var tree = SelectMergeStacktracesResponse.Parser.ParseFrom(Convert.FromBase64String(after["SelectMergeStacktraces"]));
        Assert.Equal(Files.Sum(f => Corpus.Expect(f).Totals["cpu"]), tree.Flamegraph.Total);
    }

    [Fact]
    public async Task Retention_RemovesExpiredData_FromQueries_AndItsObjectsAfterTheDelay()
    {
        await using var server = await InProcessServer.StartAsync(
            "--Retention:Period=01:00:00",
            "--Retention:Interval=00:00:01",
            "--Compaction:DeletionDelay=00:00:01",
            "--Compaction:CleanupInterval=00:00:00.200");
        var now = DateTimeOffset.UtcNow;
        var old = now.AddHours(-3).ToUnixTimeSeconds();
        await server.SendOkAsync(IngestRequests.Ingest($"/ingest?name=old-app.cpu&from={old}", IngestRequests.Text("main;work 100")), TestContext.Current.CancellationToken);
        await server.SendOkAsync(IngestRequests.Ingest("/ingest?name=new-app.cpu", IngestRequests.Text("main;work 7")), TestContext.Current.CancellationToken);

        // Retention runs every second: the three-hour-old profile leaves the index, the fresh one stays.
        await WaitForAsync(server, async () => !(await server.LabelValuesAsync("anonymous", "service_name")).Contains("old-app"), "old data dropped");
        Assert.Equal(["new-app"], await server.LabelValuesAsync("anonymous", "service_name"));
        var querier = new Querier(server);
        var request = Querier.MergeRequest(Cpu, "{service_name=\"old-app\"}", now.AddHours(-4).ToUnixTimeMilliseconds(), now.ToUnixTimeMilliseconds());
        var answer = await querier.CallAsync("SelectMergeStacktraces", request, SelectMergeStacktracesResponse.Parser);
        Assert.Equal(0, answer.Flamegraph.Total);

        // Its segment object is deleted after the delay (the fresh segment stays).
        // (The counter moves just after the file goes, so both are waited for together.)
        await WaitForAsync(
            server,
            async () => Bucket.SegmentObjects(server.DataDirectory).Count == 1
                && (await server.MetricsAsync()).GetValueOrDefault("dprof_compaction_objects_deleted_total") >= 1,
            "expired segment deleted and counted");
    }

    /// <summary>
    /// One upload after the other, each its own segment: service "gamma" gets the same profile twice first (a client
    /// retry, two copies in the segments of the first level-0 job), then "alpha" and "beta" four profiles each.
    /// </summary>
    private static async Task UploadAsync(InProcessServer server)
    {
        for (var copy = 0; copy < 2; copy++)
        {
            await server.SendOkAsync(IngestRequests.Ingest("/ingest?format=pprof&name=gamma&spyName=gospy", IngestRequests.Bytes(Corpus.ReadProfile(Files[0]))), TestContext.Current.CancellationToken);
        }

        foreach (var service in new[] { "alpha", "beta" })
        {
            foreach (var file in Files)
            {
                await server.SendOkAsync(IngestRequests.Ingest($"/ingest?format=pprof&name={service}&spyName=gospy", IngestRequests.Bytes(Corpus.ReadProfile(file))), TestContext.Current.CancellationToken);
            }
        }
    }

    private static async Task<Dictionary<string, string>> AnswersAsync(Querier querier, (string Method, Google.Protobuf.IMessage Request)[] requests)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (method, request) in requests)
        {
            var answer = await querier.PostAsync(method, request);
            Assert.True(answer.StatusCode == 200, $"{method}: {answer}");
            result[method] = Convert.ToBase64String(answer.Body);
        }

        return result;
    }

    private static async Task<Dictionary<int, long>> LevelsAsync(IProfilerServer server)
    {
        var levels = new Dictionary<int, long>();
        foreach (var (name, value) in await server.MetricsAsync())
        {
            if (name.StartsWith("dprof_blocks{level=\"", StringComparison.Ordinal))
            {
                levels[int.Parse(name["dprof_blocks{level=\"".Length..^2], System.Globalization.CultureInfo.InvariantCulture)] = value;
            }
        }

        return levels;
    }

    /// <summary>Waits for a background, clock-driven change (compaction ages, retention interval, deletion delay).</summary>
    private static async Task WaitForAsync(IProfilerServer server, Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"not reached within 60 s: {what}\n{(server as InProcessServer)?.Logs}");
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
    }
}
