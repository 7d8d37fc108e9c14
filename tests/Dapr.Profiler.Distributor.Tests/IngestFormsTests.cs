using System.Text;
using Dapr.Profiler.TestKit;

namespace Dapr.Profiler.Distributor.Tests;

/// <summary>Every body form of <c>POST /ingest</c>, with real client requests and corpus profiles.</summary>
public sealed class IngestFormsTests
{
    private static readonly string[] NodeWallTypes =
    [
        "wall:cpu:nanoseconds:wall:nanoseconds",
        "wall:samples:count:wall:nanoseconds",
        "wall:wall:nanoseconds:wall:nanoseconds",
    ];

    private static readonly string[] GoCpuTypes =
    [
        "process_cpu:cpu:nanoseconds:cpu:nanoseconds",
        "process_cpu:samples:count:cpu:nanoseconds",
    ];

    private const string GoQuery =
        "/ingest?name=go-app%7B__session_id__%3D0123456789abcdef%2Cotel.scope.name%3Dgithub.com%2Fgrafana%2Fpyroscope-go%2Cenv%3Dprod%7D" +
        "&from=1795239800000000000&until=1795239810000000000&spyName=gospy&sampleRate=100&units=samples&aggregationType=sum";

    [Fact]
    public async Task NodeRawPprof_WithTheRealClientUrl_StoresWallSeries()
    {
        await using var host = await DistributorHost.StartAsync();
        var answer = await host.SendAsync(IngestRequests.Ingest(
            IngestRequests.CapturedUrl("node-wall.pb.gz"), IngestRequests.Bytes(Corpus.ReadProfile("node-wall.pb.gz"))));

        Assert.Equal(200, answer.Status);
        Assert.Empty(answer.Body);
        var push = Assert.Single(host.Writer.Requests);
        Assert.Equal("anonymous", push.TenantId);
        Placement.AssertDefaultShard(push);
        Assert.Equal(NodeWallTypes, SegmentPushes.ProfileTypes(host.Writer.Requests));
        foreach (var labels in SegmentPushes.SeriesLabels(host.Writer.Requests))
        {
            Assert.Equal("node-corpus", labels["service_name"]);
            Assert.Equal("wall", labels["__name__"]);
            Assert.Equal("nodespy", labels["pyroscope_spy"]);
            Assert.Equal("test", labels["env"]);
            Assert.Equal("com.grafana.pyroscope/nodejs", labels["otel_scope_name"]);
            Assert.Equal("nodejs", labels["process_runtime_name"]);
            Assert.False(labels.ContainsKey("__delta__"));
        }

        Assert.Equal(Corpus.Expect("node-wall.pb.gz").TimeNanos, push.Series[0].TimestampNanos);
        Assert.Equal(16, push.ProfileId.Length);
    }

    [Fact]
    public async Task NodeHeapRawPprof_WithTheRealClientUrl_StoresMemorySeries()
    {
        await using var host = await DistributorHost.StartAsync();
        var answer = await host.SendAsync(IngestRequests.Ingest(
            IngestRequests.CapturedUrl("node-heap.pb.gz"), IngestRequests.Bytes(Corpus.ReadProfile("node-heap.pb.gz"))));

        Assert.Equal(200, answer.Status);
        Assert.Equal(
            ["memory:inuse_objects:count:inuse_space:bytes", "memory:inuse_space:bytes:inuse_space:bytes"],
            SegmentPushes.ProfileTypes(host.Writer.Requests));
    }

    [Fact]
    public async Task Node061Multipart_ReplayedByteForByte_StoresWallSeries()
    {
        await using var host = await DistributorHost.StartAsync();
        var body = Corpus.ReadProfile("node-0.6.1-multipart.bin");
        var answer = await host.SendAsync(IngestRequests.Ingest(
            IngestRequests.CapturedUrl("node-0.6.1-multipart.bin"),
            IngestRequests.Bytes(body, IngestRequests.CapturedContentType("node-0.6.1-multipart.bin"))));

        Assert.Equal(200, answer.Status);
        Assert.Empty(answer.Body);
        Assert.Equal(NodeWallTypes, SegmentPushes.ProfileTypes(host.Writer.Requests));
        var push = Assert.Single(host.Writer.Requests);
        Placement.AssertDefaultShard(push);
        Assert.Equal(Corpus.Expect("node-0.6.1-multipart.bin").TimeNanos, push.Series[0].TimestampNanos);
        Assert.All(SegmentPushes.SeriesLabels(host.Writer.Requests), l => Assert.Equal("0.6.1", l["otel_scope_version"]));
    }

    [Fact]
    public async Task GoMultipart_WithoutSampleTypeConfig_StoresCpuSeriesAndDropsTheSessionId()
    {
        await using var host = await DistributorHost.StartAsync();
        var answer = await host.SendAsync(IngestRequests.Ingest(GoQuery, IngestRequests.Multipart(Corpus.ReadProfile("go-cpu.pb.gz"))));

        Assert.Equal(200, answer.Status);
        Assert.Equal(GoCpuTypes, SegmentPushes.ProfileTypes(host.Writer.Requests));
        foreach (var labels in SegmentPushes.SeriesLabels(host.Writer.Requests))
        {
            Assert.Equal("go-app", labels["service_name"]);
            Assert.Equal("gospy", labels["pyroscope_spy"]);
            Assert.Equal("prod", labels["env"]);
            Assert.Equal("github.com/grafana/pyroscope-go", labels["otel_scope_name"]);
            Assert.False(labels.ContainsKey("__session_id__"));
        }

        Placement.AssertDefaultShard(Assert.Single(host.Writer.Requests));
    }

    [Fact]
    public async Task GoMultipart_WithSampleTypeConfig_UsesItsDisplayNames()
    {
        await using var host = await DistributorHost.StartAsync();
        const string config = """{"contentions":{"units":"lock_samples","display-name":"block_count"},"delay":{"units":"lock_nanoseconds","display-name":"block_duration"}}""";
        var answer = await host.SendAsync(IngestRequests.Ingest(GoQuery, IngestRequests.Multipart(Corpus.ReadProfile("go-mutex.pb.gz"), config)));

        Assert.Equal(200, answer.Status);
        Assert.All(SegmentPushes.ProfileTypes(host.Writer.Requests), t => Assert.StartsWith("block:", t, StringComparison.Ordinal));
    }

    [Fact]
    public async Task GoMultipart_WithoutSampleTypeConfig_UsesTheDefaultDisplayNames()
    {
        await using var host = await DistributorHost.StartAsync();
        var answer = await host.SendAsync(IngestRequests.Ingest(GoQuery, IngestRequests.Multipart(Corpus.ReadProfile("go-mutex.pb.gz"))));

        Assert.Equal(200, answer.Status);
        Assert.All(SegmentPushes.ProfileTypes(host.Writer.Requests), t => Assert.StartsWith("mutex:", t, StringComparison.Ordinal));
    }

    [Fact]
    public async Task GoHeapMultipart_WithSampleTypeConfig_StoresFourMemorySeries()
    {
        await using var host = await DistributorHost.StartAsync();
        const string config = """{"alloc_objects":{"units":"objects"},"alloc_space":{"units":"bytes"},"inuse_objects":{"units":"objects","aggregation":"average"},"inuse_space":{"units":"bytes","aggregation":"average"}}""";
        var answer = await host.SendAsync(IngestRequests.Ingest(GoQuery, IngestRequests.Multipart(Corpus.ReadProfile("go-heap.pb.gz"), config)));

        Assert.Equal(200, answer.Status);
        Assert.Equal(
        [
            "memory:alloc_objects:count:space:bytes",
            "memory:alloc_space:bytes:space:bytes",
            "memory:inuse_objects:count:space:bytes",
            "memory:inuse_space:bytes:space:bytes",
        ],
            SegmentPushes.ProfileTypes(host.Writer.Requests));
    }

    [Fact]
    public async Task MultipartBody_WithFormatPprof_IsStillReadAsMultipart()
    {
        await using var host = await DistributorHost.StartAsync();
        var answer = await host.SendAsync(IngestRequests.Ingest(GoQuery + "&format=pprof", IngestRequests.Multipart(Corpus.ReadProfile("go-cpu.pb.gz"))));

        Assert.Equal(200, answer.Status);
        Assert.Equal(GoCpuTypes, SegmentPushes.ProfileTypes(host.Writer.Requests));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task RawPprof_GzippedOrNot_StoresTheSameSeries(bool gzipped)
    {
        await using var host = await DistributorHost.StartAsync();
        var profile = Corpus.ReadProfile("go-cpu.pb.gz");
        var body = gzipped ? profile : IngestRequests.Gunzip(profile);
        var answer = await host.SendAsync(IngestRequests.Ingest("/pyroscope/ingest?format=pprof&name=raw-app&spyName=gospy", IngestRequests.Bytes(body)));

        Assert.Equal(200, answer.Status);
        Assert.Equal(GoCpuTypes, SegmentPushes.ProfileTypes(host.Writer.Requests));
        Assert.All(SegmentPushes.SeriesLabels(host.Writer.Requests), l => Assert.Equal("raw-app", l["service_name"]));
        Assert.Equal(Corpus.Expect("go-cpu.pb.gz").SampleCount, host.Writer.Requests[0].Profile.Sample.Count);
    }

    [Fact]
    public async Task GzipBody_WithoutFormat_IsTakenForRawPprof()
    {
        await using var host = await DistributorHost.StartAsync();
        var answer = await host.SendAsync(IngestRequests.Ingest("/ingest?name=sniffed", IngestRequests.Bytes(Corpus.ReadProfile("go-cpu.pb.gz"))));

        Assert.Equal(200, answer.Status);
        Assert.Equal(GoCpuTypes, SegmentPushes.ProfileTypes(host.Writer.Requests));
    }

    [Fact]
    public async Task Folded_AtTheDefaultSampleRate_IsRescaledToCpuNanoseconds()
    {
        await using var host = await DistributorHost.StartAsync();
        var text = File.ReadAllText(Corpus.ProfilePath("folded-sample.txt"));
        var expectedTotal = text.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Sum(line => long.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture)) * 10_000_000L;
        var answer = await host.SendAsync(IngestRequests.Ingest("/ingest?name=folded-app.cpu%7Benv%3Dstaging%7D&from=1795239000&spyName=pyspy", IngestRequests.Text(text)));

        Assert.Equal(200, answer.Status);
        var push = Assert.Single(host.Writer.Requests);
        Assert.Equal(["process_cpu:cpu:nanoseconds:cpu:nanoseconds"], SegmentPushes.ProfileTypes(host.Writer.Requests));
        var labels = SegmentPushes.SeriesLabels(host.Writer.Requests)[0];
        Assert.Equal("folded-app", labels["service_name"]);
        Assert.Equal("staging", labels["env"]);
        Assert.Equal("pyspy", labels["pyroscope_spy"]);
        Assert.Equal(1_795_239_000_000_000_000L, push.Series[0].TimestampNanos);
        Assert.Equal(expectedTotal, push.Profile.Sample.Sum(s => s.Value[0]));
    }

    [Fact]
    public async Task Lines_CountEachLineOnce_AndDefaultTheSpyName()
    {
        await using var host = await DistributorHost.StartAsync();
        var answer = await host.SendAsync(IngestRequests.Ingest("/ingest?name=lines-app&format=lines&sampleRate=not-a-number", IngestRequests.Text("main;a\nmain;a\nmain;b\n")));

        Assert.Equal(200, answer.Status);
        var push = Assert.Single(host.Writer.Requests);
        Assert.Equal(3 * 10_000_000L, push.Profile.Sample.Sum(s => s.Value[0]));
        Assert.Equal("unknown", SegmentPushes.SeriesLabels(host.Writer.Requests)[0]["pyroscope_spy"]);
    }

    [Fact]
    public async Task AllZeroProfile_Answers200AndStoresNothing()
    {
        await using var host = await DistributorHost.StartAsync();
        var answer = await host.SendAsync(IngestRequests.Ingest("/ingest?name=idle-app", IngestRequests.Text("main;idle 0\n")));

        Assert.Equal(200, answer.Status);
        Assert.Empty(host.Writer.Requests);
    }

    [Fact]
    public async Task SameSeries_TwiceOverHttp_GoToTheSameShard()
    {
        await using var host = await DistributorHost.StartAsync(new Dictionary<string, string?> { ["Distributor:NumShards"] = "16" });
        for (var i = 0; i < 2; i++)
        {
            var answer = await host.SendAsync(IngestRequests.Ingest(GoQuery, IngestRequests.Multipart(Corpus.ReadProfile("go-cpu.pb.gz"))));
            Assert.Equal(200, answer.Status);
        }

        var shards = host.Writer.Requests.Select(p => p.Shard).Distinct().ToArray();
        Assert.InRange(Assert.Single(shards), 1u, 16u);
        Assert.Equal(2, host.Writer.Requests.Select(p => Encoding.ASCII.GetString(p.ProfileId.ToByteArray())).Distinct().Count());
    }
}
