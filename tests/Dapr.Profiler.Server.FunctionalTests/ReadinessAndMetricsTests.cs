using Dapr.Profiler.Server.FunctionalTests.Hosting;
using Dapr.Profiler.Server.FunctionalTests.Support;

namespace Dapr.Profiler.Server.FunctionalTests;

/// <summary>What an operator watches: <c>/ready</c> and the <c>/metrics</c> counters.</summary>
public sealed class ReadinessAndMetricsTests
{
    private const string ObjectsWritten = "dprof_segment_objects_written_total";
    private const string PushesAcknowledged = "dprof_segment_pushes_acknowledged_total";
    private const string BytesWritten = "dprof_segment_bytes_written_total";
    private const string PeakMemory = "process_resident_memory_peak_bytes";

    [Fact]
    public async Task Ready_Is200_AfterStart()
    {
        await using var server = await InProcessServer.StartAsync("--SegmentWriter:SegmentDuration=00:00:00.100");

        using var response = await server.Client.GetAsync(new Uri("ready", UriKind.Relative), TestContext.Current.CancellationToken);

        Assert.Equal(200, (int)response.StatusCode);
    }

    [Fact]
    public async Task MetricsCounters_GrowWithPushes()
    {
        var cancel = TestContext.Current.CancellationToken;
        await using var server = await InProcessServer.StartAsync("--SegmentWriter:SegmentDuration=00:00:00.100");
        var before = await server.MetricsAsync();
        Assert.Equal(0, before[ObjectsWritten]);
        Assert.Equal(0, before[PushesAcknowledged]);
        Assert.True(before[PeakMemory] > 0, "peak resident memory is reported");

        var profiles = Pusher.Make("anonymous", "metrics-app", "go-cpu.pb.gz", 3)
            .Concat(Pusher.Make("anonymous", "metrics-app", "node-wall.pb.gz", 2, firstIndex: 3))
            .ToList();
        await Pusher.SendAllAsync(server, profiles, concurrency: 1, sendTenantHeader: false, cancel);
        Assert.All(profiles, p => Assert.True(p.Acknowledged, p.Failure));

        // The counters are updated right after the acknowledgements are released: poll briefly for them.
        var index = await server.QueryMetadataAsync("anonymous");
        var after = await server.MetricsAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (after[ObjectsWritten] < index.Blocks.Count && !deadline.IsCancellationRequested)
        {
            await Task.Delay(20, cancel);
            after = await server.MetricsAsync();
        }

        Assert.True(after[ObjectsWritten] > 0, $"{ObjectsWritten} = {after[ObjectsWritten]}");
        Assert.Equal(index.Blocks.Count, after[ObjectsWritten]);
        Assert.Equal(Bucket.SegmentObjects(server.DataDirectory).Count, after[ObjectsWritten]);
        Assert.True(after[PushesAcknowledged] >= profiles.Count, $"{PushesAcknowledged} = {after[PushesAcknowledged]} after {profiles.Count} pushes");
        Assert.Equal(
            Bucket.SegmentObjects(server.DataDirectory).Sum(f => new FileInfo(f).Length),
            after[BytesWritten]);
    }

    [Fact]
    public async Task InternalMethods_AreNotOnThePublicPort_ByDefault()
    {
        await using var server = await InProcessServer.StartAsync("--Server:ExposeInternalMethods=false");
        var ct = TestContext.Current.CancellationToken;

        // The metastore's methods take any tenant id; in one process nothing reaches them over HTTP.
        using var content = new ByteArrayContent([]);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/x-protobuf");
        using var response = await server.Client.PostAsync("metastore.v1.MetadataQueryService/QueryMetadata", content, ct);

        Assert.Equal(System.Net.HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.OK, (await server.Client.GetAsync("ready", ct)).StatusCode);
    }
}

