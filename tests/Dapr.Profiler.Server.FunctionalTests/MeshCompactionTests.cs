using Dapr.Profiler.Mesh;
using Dapr.Profiler.Protos.Querier;
using Dapr.Profiler.Server.FunctionalTests.Hosting;
using Dapr.Profiler.Server.FunctionalTests.Support;
using Dapr.Profiler.TestKit;

namespace Dapr.Profiler.Server.FunctionalTests;

/// <summary>
/// Compaction in the mesh: the <c>compaction-scheduler</c> process hosts the <c>CompactionScheduler</c> actors on the
/// Dapr .NET SDK's actor runtime (state and reminders through the emulated sidecar), the <c>compaction-worker</c>
/// process takes jobs from the <c>compaction-jobs</c> topic, and the scheduler killed and restarted mid-run resumes
/// from its reminders.
/// </summary>
[Collection(ServerProcesses.Name)]
public sealed class MeshCompactionTests
{
    private const string Cpu = "process_cpu:cpu:nanoseconds:cpu:nanoseconds";
    private static readonly string[] Files = ["go-cpu.pb.gz", "go-cpu-2.pb.gz", "go-cpu-3.pb.gz", "go-cpu-4.pb.gz"];

    [Fact]
    public async Task SchedulerActorsOnTheDaprSdk_CompactEverySegment_AcrossAKillOfTheScheduler()
    {
        await using var mesh = await MeshCluster.StartAsync(
            MeshCluster.AppIdsWithCompaction,
            "--Retention:Period=00:00:00",
            "--Distributor:NumShards=1",
            "--Compaction:L0:MaxBlocks=3",
            "--Compaction:L0:MaxAge=00:00:01",
            "--Compaction:L1:MaxBlocks=2",
            "--Compaction:L1:MaxAge=00:00:01",
            "--Compaction:L2:MaxBlocks=2",
            "--Compaction:L2:MaxAge=00:00:01",
            "--Compaction:LeaseDuration=00:00:05",
            "--Compaction:ReconcileInterval=00:00:02",
            "--Compaction:DeletionDelay=00:00:01",
            "--Compaction:CleanupInterval=00:00:00.200");
        var ct = TestContext.Current.CancellationToken;
        foreach (var file in Files)
        {
            await mesh.Distributor.SendOkAsync(IngestRequests.Ingest("/ingest?format=pprof&name=mesh-compacted&spyName=gospy", IngestRequests.Bytes(Corpus.ReadProfile(file))), ct);
        }

        // The scheduler dies; segments keep arriving; a new scheduler process picks up from the sidecar's state and reminders.
        await mesh.KillHardAsync(DaprNames.AppIds.CompactionScheduler);
        foreach (var file in Files)
        {
            await mesh.Distributor.SendOkAsync(IngestRequests.Ingest("/ingest?format=pprof&name=mesh-compacted-2&spyName=gospy", IngestRequests.Bytes(Corpus.ReadProfile(file))), ct);
        }

        await mesh.StartAppAsync(DaprNames.AppIds.CompactionScheduler);
        var metastore = mesh[DaprNames.AppIds.Metastore];
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            var metrics = await metastore.MetricsAsync();
            var below = metrics.Where(m => m.Key.StartsWith("dprof_blocks{level=\"", StringComparison.Ordinal) && m.Key != "dprof_blocks{level=\"3\"}").Sum(m => m.Value);
            if (below == 0 && metrics.GetValueOrDefault("dprof_blocks{level=\"3\"}") > 0)
            {
                break;
            }

            Assert.True(DateTime.UtcNow < deadline, $"blocks still below level 3: {below}\n{mesh.Logs}");
            await Task.Delay(200, ct);
        }

        // Every profile is still answered exactly once, from the compacted blocks.
        var times = Files.Select(f => Corpus.Expect(f).TimeNanos / 1_000_000).ToArray();
        var querier = new Querier(mesh.QueryFrontend);
        var expected = Files.Sum(f => Corpus.Expect(f).Totals["cpu"]);
        foreach (var service in new[] { "mesh-compacted", "mesh-compacted-2" })
        {
            var request = Querier.MergeRequest(Cpu, $"{{service_name=\"{service}\"}}", times.Min() - 60_000, times.Max() + 60_000);
            var answer = await querier.CallAsync("SelectMergeStacktraces", request, SelectMergeStacktracesResponse.Parser);
            Assert.True(expected == answer.Flamegraph.Total, $"{service}: {answer.Flamegraph.Total} instead of {expected}\n{mesh.Logs}");
        }

        // The worker deletes the replaced segments through the objectstore binding once the delay has passed (and
        // counts each just after it is gone, so both are waited for together).
        var worker = mesh[DaprNames.AppIds.CompactionWorker];
        while (Bucket.SegmentObjects(mesh.Shared).Count > 0
            || (await worker.MetricsAsync()).GetValueOrDefault("dprof_compaction_objects_deleted_total") < 8)
        {
            Assert.True(DateTime.UtcNow < deadline, $"segments still in the bucket: {Bucket.SegmentObjects(mesh.Shared).Count}\n{mesh.Logs}");
            await Task.Delay(200, ct);
        }
        var scheduler = await mesh[DaprNames.AppIds.CompactionScheduler].MetricsAsync();
        Assert.True(scheduler.Where(m => m.Key.Contains("state=\"committed\"", StringComparison.Ordinal)).Sum(m => m.Value) > 0, string.Join('\n', scheduler.Keys));
    }
}
