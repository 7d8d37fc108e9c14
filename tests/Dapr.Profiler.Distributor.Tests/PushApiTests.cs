using Dapr.Profiler.TestKit;
using Google.Protobuf;

namespace Dapr.Profiler.Distributor.Tests;

/// <summary><c>POST /push.v1.PusherService/Push</c> as Connect unary, in proto and JSON.</summary>
public sealed class PushApiTests
{
    private static readonly (string, string)[] DotnetLabels =
    [
        ("__name__", "process_cpu"),
        ("service_name", "dotnet-app"),
        ("spy_name", "dotnetspy"),
        ("otel.scope.name", "pyroscope-dotnet"),
    ];

    private static readonly (string, string)[] NoServiceLabels = [("__name__", "memory"), ("env", "dev")];

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public async Task Push_InProtoOrJson_GzippedOrNot_StoresEverySeries(bool json, bool gzip)
    {
        await using var host = await DistributorHost.StartAsync();
        var push = IngestRequests.PushOf(
            (DotnetLabels, Corpus.ReadProfile("go-cpu.pb.gz")),
            (NoServiceLabels, IngestRequests.Gunzip(Corpus.ReadProfile("go-heap.pb.gz"))));
        var answer = await host.SendAsync(IngestRequests.Push(push, json, gzip));

        Assert.Equal(200, answer.Status);
        Assert.Equal(json ? "application/json" : "application/proto", answer.ContentType);
        Assert.Equal(json ? "{}"u8.ToArray() : [], answer.Body);
        Assert.Equal(2, host.Writer.Requests.Count);
        Assert.Equal(
        [
            "memory:alloc_objects:count:space:bytes",
            "memory:alloc_space:bytes:space:bytes",
            "memory:inuse_objects:count:space:bytes",
            "memory:inuse_space:bytes:space:bytes",
            "process_cpu:cpu:nanoseconds:cpu:nanoseconds",
            "process_cpu:samples:count:cpu:nanoseconds",
        ],
            SegmentPushes.ProfileTypes(host.Writer.Requests));
        var labels = SegmentPushes.SeriesLabels(host.Writer.Requests);
        Assert.Contains(labels, l => l["service_name"] == "dotnet-app" && l["otel_scope_name"] == "pyroscope-dotnet" && l["spy_name"] == "dotnetspy");
        Assert.Contains(labels, l => l["service_name"] == "unknown_service" && l["env"] == "dev");
        Assert.All(host.Writer.Requests, p =>
        {
            Assert.Equal("anonymous", p.TenantId);
            Placement.AssertDefaultShard(p);
        });
    }

    [Fact]
    public async Task Push_WithASampleId_KeepsItAsTheProfileId()
    {
        await using var host = await DistributorHost.StartAsync();
        var push = IngestRequests.PushOf((DotnetLabels, Corpus.ReadProfile("go-cpu.pb.gz")));
        var id = Guid.Parse("6f1e2d3c-4b5a-4978-8a1b-0c2d3e4f5a6b");
        push.Series[0].Samples[0].ID = id.ToString();
        var answer = await host.SendAsync(IngestRequests.Push(push));

        Assert.Equal(200, answer.Status);
        Assert.Equal(id.ToByteArray(bigEndian: true), Assert.Single(host.Writer.Requests).ProfileId.ToByteArray());
    }

    [Fact]
    public async Task Push_JsonWithUnknownFields_IsAccepted()
    {
        await using var host = await DistributorHost.StartAsync();
        var profile = Convert.ToBase64String(Corpus.ReadProfile("go-cpu.pb.gz"));
        var json = $$"""{"series":[{"labels":[{"name":"__name__","value":"process_cpu"},{"name":"service_name","value":"json-app"}],"samples":[{"rawProfile":"{{profile}}","futureField":1}],"annotations":[]}],"extra":true}""";
        var answer = await host.SendAsync(IngestRequests.Ingest(PushApi.Route, IngestRequests.Bytes(System.Text.Encoding.UTF8.GetBytes(json), "application/json; charset=utf-8")));

        Assert.Equal(200, answer.Status);
        Assert.Equal("json-app", SegmentPushes.SeriesLabels(host.Writer.Requests)[0]["service_name"]);
    }

    [Fact]
    public async Task Push_OfASeriesWithSeveralSamples_PushesThemConcurrentlyAndAnswersOnlyWhenAllAreDurable()
    {
        await using var host = await DistributorHost.StartAsync();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        host.Writer.Gate = gate.Task;
        host.Writer.ExpectStarted = 3;
        var push = IngestRequests.PushOf(
            (DotnetLabels, Corpus.ReadProfile("go-cpu.pb.gz")),
            (NoServiceLabels, Corpus.ReadProfile("go-heap.pb.gz")),
            ([("__name__", "wall"), ("service_name", "node")], Corpus.ReadProfile("node-wall.pb.gz")));

        var pending = host.SendAsync(IngestRequests.Push(push));
        // All three pushes start before any completes: they run concurrently (a sequential loop would wait forever).
        await host.Writer.AllStarted.Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        Assert.False(pending.IsCompleted);
        Assert.Empty(host.Writer.Requests);

        gate.SetResult();
        var answer = await pending;
        Assert.Equal(200, answer.Status);
        Assert.Equal(3, host.Writer.Requests.Count);
    }

    [Fact]
    public async Task Push_WithNoSeries_Answers200()
    {
        await using var host = await DistributorHost.StartAsync();
        var answer = await host.SendAsync(IngestRequests.Push(new Protos.Push.PushRequest()));

        Assert.Equal(200, answer.Status);
        Assert.Empty(host.Writer.Requests);
    }

    [Fact]
    public async Task Push_WithOneBadProfileInTheBatch_StoresNothing()
    {
        await using var host = await DistributorHost.StartAsync();
        var push = IngestRequests.PushOf(
            (DotnetLabels, Corpus.ReadProfile("go-cpu.pb.gz")),
            (DotnetLabels, [0x0a, 0xff, 0xff, 0xff]));
        var answer = await host.SendAsync(IngestRequests.Push(push));

        Assert.Equal(400, answer.Status);
        Assert.Equal("invalid_argument", answer.Code);
        Assert.Empty(host.Writer.Requests);
    }

    [Fact]
    public async Task Push_WithGrpcContentType_Answers415()
    {
        await using var host = await DistributorHost.StartAsync();
        var body = IngestRequests.PushOf((DotnetLabels, Corpus.ReadProfile("go-cpu.pb.gz"))).ToByteArray();
        var answer = await host.SendAsync(IngestRequests.Ingest(PushApi.Route, IngestRequests.Bytes(body, "application/grpc")));

        Assert.Equal(415, answer.Status);
        Assert.Equal("unimplemented", answer.Code);
        Assert.Contains("application/grpc", answer.Message, StringComparison.Ordinal);
    }
}
