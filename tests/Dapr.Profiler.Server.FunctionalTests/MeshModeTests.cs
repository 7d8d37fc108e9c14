using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Dapr.Profiler.Mesh;
using Dapr.Profiler.Metastore;
using Dapr.Profiler.ObjectStorage;
using Dapr.Profiler.Server.FunctionalTests.Hosting;
using Dapr.Profiler.Server.FunctionalTests.Support;
using Dapr.Profiler.TestKit;
using Google.Protobuf;
using Microsoft.Extensions.DependencyInjection;

namespace Dapr.Profiler.Server.FunctionalTests;

/// <summary>
/// The mesh mode: every service in its own process behind its own (emulated) Dapr sidecar, talking only through
/// Dapr service invocation and pub/sub, sharing one bucket. The same scenario body passes here and against the
/// all-in-one server; events published to the <c>profiles</c> topic are ingested (bad ones dead-lettered); and
/// hard kills of the segment-writer and the query-backend lose no acknowledged profile.
/// </summary>
[Collection(ServerProcesses.Name)]
public sealed class MeshModeTests(MeshModeTests.Cluster cluster) : IClassFixture<MeshModeTests.Cluster>
{
    private const string Tenant = "anonymous";
    private const string GoCpu = "process_cpu:cpu:nanoseconds:cpu:nanoseconds";

    private static readonly string[] Settings = ["--SegmentWriter:SegmentDuration=00:00:00.100"];

    private MeshCluster Mesh => cluster.Mesh;

    [Fact]
    public async Task SameScenario_PassesOnTheAllInOneServer()
    {
        await using var server = await InProcessServer.StartAsync(Settings);
        await IngestQueryScenario.RunAsync(server, server, "scenario-inprocess", TestContext.Current.CancellationToken);
    }

    [Theory]
    [InlineData("query-frontend")]
    [InlineData("distributor")]
    [InlineData("query-frontend,distributor")]
    public async Task AProcessOfFrontServicesOnly_IsReady_WithoutMetastoreOrObjectStore(string target)
    {
        await using var server = await InProcessServer.StartAsync("--target", target, "--mesh", "inprocess");
        Assert.Null(server.Services.GetService<MetastoreNode>());
        Assert.Null(server.Services.GetService<IObjectStore>());
        Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync(new Uri("ready", UriKind.Relative), TestContext.Current.CancellationToken)).StatusCode);
    }

    [Fact]
    public async Task AnUnknownMesh_StopsTheStart_WithAMessage()
    {
        var error = await Assert.ThrowsAsync<InvalidServerOptionsException>(() => InProcessServer.StartAsync("--mesh", "grpc"));
        Assert.Contains("--mesh", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SameScenario_PassesOnTheMesh_IngestAtTheDistributor_QueryAtTheQueryFrontend()
    {
        await IngestQueryScenario.RunAsync(Mesh.Distributor, Mesh.QueryFrontend, "scenario-mesh", TestContext.Current.CancellationToken);

        // Each process serves only its own app-id's routes.
        using var empty = new ByteArrayContent([]);
        var notHere = await Mesh.Distributor.Client.PostAsync(new Uri("querier.v1.QuerierService/ProfileTypes", UriKind.Relative), empty, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.NotFound, notHere.StatusCode);
    }

    [Fact]
    public async Task AppRoutesThatDaprCalls_RequireTheAppToken_PublicRoutesDoNot()
    {
        var ct = TestContext.Current.CancellationToken;
        var metastore = Mesh[DaprNames.AppIds.Metastore];
        using var content = new ByteArrayContent([]);
        content.Headers.ContentType = new MediaTypeHeaderValue(ServiceMethodEndpoints.ProtobufContentType);
        using var direct = await metastore.Client.PostAsync(new Uri(DaprNames.Methods.MetastoreProfileTypes, UriKind.Relative), content, ct);
        Assert.Equal(HttpStatusCode.Unauthorized, direct.StatusCode);

        // Through the sidecar (which adds APP_API_TOKEN) the same method answers.
        await using var viaSidecar = Mesh.ThroughSidecar(DaprNames.AppIds.Metastore, DaprNames.AppIds.QueryFrontend);
        Assert.NotNull(await viaSidecar.ProfileTypesAsync(Tenant));

        Assert.Equal(HttpStatusCode.OK, (await metastore.Client.GetAsync(new Uri("ready", UriKind.Relative), ct)).StatusCode);
    }

    [Fact]
    public async Task PublishedPushRequest_BecomesQueryable_InvalidEventIsDeadLettered_AndTheDistributorStaysUp()
    {
        var ct = TestContext.Current.CancellationToken;
        var querier = new Querier(Mesh.QueryFrontend);
        var push = IngestRequests.PushOf(([("__name__", "process_cpu"), ("service_name", "mesh-event")], Corpus.ReadProfile("go-cpu.pb.gz")));
        await PublishAsync(push.ToByteArray(), ct);
        await WaitForServiceAsync(querier, "mesh-event", ct);
        await IngestQueryScenario.AssertTotalAsync(querier, GoCpu, "mesh-event", Corpus.Expect("go-cpu.pb.gz").Totals["cpu"], Mesh.QueryFrontend);

        // Not a PushRequest: the distributor moves it to profiles-deadletter itself, with the reason, and answers
        // SUCCESS (so the sidecar does not dead-letter it a second time).
        byte[] invalid = [0xff, 0x00, 0x13];
        var before = Mesh.DeadLetters.Count;
        await PublishAsync(invalid, ct);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (Mesh.DeadLetters.Count == before && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20, ct);
        }

        var dead = Mesh.DeadLetters.Skip(before).ToList();
        Assert.True(dead.Count == 1, $"expected the invalid event on profiles-deadletter, got {dead.Count}\n{Mesh.Logs}");
        using (var evt = JsonDocument.Parse(dead[0]))
        {
            // The original data, with why it could not be ingested.
            Assert.Equal(DaprNames.Topics.ProfilesDeadLetter, evt.RootElement.GetProperty("topic").GetString());
            Assert.Equal(invalid, evt.RootElement.GetProperty("data_base64").GetBytesFromBase64());
            Assert.Contains("not a push.v1 PushRequest", evt.RootElement.GetProperty(DaprNames.EventAttributes.DeadLetterReason).GetString(), StringComparison.Ordinal);
        }

        // The distributor stays up and keeps ingesting events.
        Assert.False(Mesh.Distributor.HasExited);
        Assert.Equal(HttpStatusCode.OK, (await Mesh.Distributor.Client.GetAsync(new Uri("ready", UriKind.Relative), ct)).StatusCode);
        var after = IngestRequests.PushOf(([("__name__", "process_cpu"), ("service_name", "mesh-event-after")], Corpus.ReadProfile("go-cpu-2.pb.gz")));
        await PublishAsync(after.ToByteArray(), ct);
        await WaitForServiceAsync(querier, "mesh-event-after", ct);
        await IngestQueryScenario.AssertTotalAsync(querier, GoCpu, "mesh-event-after", Corpus.Expect("go-cpu-2.pb.gz").Totals["cpu"], Mesh.QueryFrontend);
    }

    [Fact]
    public async Task TheDistributor_AnnouncesItselfToTheDistributorRingActor_ThroughItsSidecar()
    {
        var ct = TestContext.Current.CancellationToken;
        var metrics = await Mesh.Distributor.MetricsAsync();
        for (var deadline = DateTime.UtcNow.AddSeconds(30); metrics.GetValueOrDefault("dprof_distributor_ring_heartbeats_total") < 1 && DateTime.UtcNow < deadline;)
        {
            await Task.Delay(50, ct);
            metrics = await Mesh.Distributor.MetricsAsync();
        }

        Assert.True(metrics.GetValueOrDefault("dprof_distributor_ring_heartbeats_total") >= 1, $"no heartbeat answered\n{Mesh.Logs}");
        Assert.Equal(1, metrics["dprof_distributor_ring_members"]);
    }

    [Fact]
    public async Task KillingTheSegmentWriterAndTheQueryBackend_MidTraffic_LosesNoAcknowledgedProfile()
    {
        var ct = TestContext.Current.CancellationToken;
        const string service = "mesh-crash-app";
        var pushers = RetryingPushers.Start(Mesh.Distributor, Tenant, service, pushers: 4, ct);
        try
        {
            await pushers.WaitForAcksAsync(15, Mesh, ct);

            // kill -9 the segment-writer while pushes are in flight; the pushers retry what failed.
            await Mesh.KillHardAsync(DaprNames.AppIds.SegmentWriter);
            await Mesh.StartAppAsync(DaprNames.AppIds.SegmentWriter);
            await pushers.WaitForAcksAsync(pushers.Acks + 15, Mesh, ct);

            // The same for the query-backend, with a query running against the frontend meanwhile.
            var querying = new Querier(Mesh.QueryFrontend).PostAsync("SelectMergeStacktraces", Querier.MergeRequest(GoCpu, $"{{service_name=\"{service}\"}}", 1, ServerApi.AllTimeEndMs));
            await Mesh.KillHardAsync(DaprNames.AppIds.QueryBackend);
            var duringKill = await querying;
            await Mesh.StartAppAsync(DaprNames.AppIds.QueryBackend);
            await pushers.WaitForAcksAsync(pushers.Acks + 10, Mesh, ct);
            TestContext.Current.TestOutputHelper?.WriteLine($"query while the query-backend was killed: {duringKill.StatusCode}");
        }
        finally
        {
            await pushers.StopAsync();
        }

        var sent = pushers.Sent.ToList();
        TestContext.Current.TestOutputHelper?.WriteLine($"{sent.Count} pushes, {sent.Count(p => p.Acknowledged)} acknowledged, {sent.Count(p => !p.Acknowledged)} failed (retried)");
        Assert.True(pushers.Rejected.IsEmpty, "a push was rejected with 4xx: " + string.Join("; ", pushers.Rejected.Select(p => p.Failure)) + "\n" + Mesh.Logs);

        // The index (asked through a sidecar) and the shared bucket hold every acknowledged profile exactly once.
        await using var metastore = Mesh.ThroughSidecar(DaprNames.AppIds.Metastore, DaprNames.AppIds.QueryFrontend);
        var index = await metastore.QueryMetadataAsync(Tenant, $"{{service_name=\"{service}\"}}");
        var stored = Bucket.Rows(metastore.DataDirectory, index, Tenant, service);
        Pusher.AssertAcknowledgedStored(sent, stored, "after killing the segment-writer and the query-backend\n" + Mesh.Logs);

        // The restarted query-backend answers from the same data: the CPU total is that of every stored Go profile.
        var storedGoProfiles = stored.Where(r => r.ProfileType == GoCpu).Select(r => r.TimestampNanos).Distinct().Count();
        await IngestQueryScenario.AssertTotalAsync(
            new Querier(Mesh.QueryFrontend), GoCpu, service, storedGoProfiles * Corpus.Expect("go-cpu.pb.gz").Totals["cpu"], Mesh.QueryFrontend);
    }

    private static async Task WaitForServiceAsync(Querier querier, string service, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if ((await querier.LabelValuesAsync("service_name", "{}", 1, ServerApi.AllTimeEndMs)).Contains(service))
            {
                return;
            }

            await Task.Delay(20, ct);
        }

        Assert.Fail($"{service} did not become queryable within 30 s");
    }

    private async Task PublishAsync(byte[] data, CancellationToken ct)
    {
        var sidecar = Mesh.Sidecars[DaprNames.AppIds.Distributor];
        using var request = new HttpRequestMessage(
            HttpMethod.Post,
            new Uri(sidecar.BaseAddress, $"/v1.0/publish/{DaprNames.Components.PubSub}/{DaprNames.Topics.Profiles}"))
        {
            Content = new ByteArrayContent(data),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        request.Headers.Add("dapr-api-token", MeshCluster.ApiToken(DaprNames.AppIds.Distributor));
        using var client = new HttpClient();
        using var response = await client.SendAsync(request, ct);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }

    /// <summary>The mesh, shared by the tests of this class (each uses its own services).</summary>
    public sealed class Cluster : IAsyncLifetime
    {
        private MeshCluster? _mesh;

        public MeshCluster Mesh => _mesh ?? throw new InvalidOperationException("not started");

        public async ValueTask InitializeAsync() => _mesh = await MeshCluster.StartAsync(Settings);

        public async ValueTask DisposeAsync()
        {
            if (_mesh is not null)
            {
                await _mesh.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// Clients that keep uploading (Go CPU and Node wall, alternately) until stopped, and retry on 5xx and lost
    /// connections: a retry is a new upload with its own timestamp, so a push whose answer was lost can be told
    /// apart from its retry.
    /// </summary>
    private sealed class RetryingPushers
    {
        private readonly ConcurrentQueue<SentProfile> _sent = new();
        private volatile bool _stopping;
        private int _next = -1;
        private int _acks;
        private Task _completion = Task.CompletedTask;

        public IReadOnlyCollection<SentProfile> Sent => _sent;

        public ConcurrentQueue<SentProfile> Rejected { get; } = new();

        public int Acks => Volatile.Read(ref _acks);

        public static RetryingPushers Start(IProfilerServer server, string tenant, string service, int pushers, CancellationToken cancellationToken)
        {
            var result = new RetryingPushers();
            result._completion = Task.WhenAll(Enumerable.Range(0, pushers).Select(_ => Task.Run(() => result.RunAsync(server, tenant, service, cancellationToken), cancellationToken)));
            return result;
        }

        public async Task WaitForAcksAsync(int wanted, MeshCluster mesh, CancellationToken cancellationToken)
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (Acks < wanted)
            {
                Assert.True(DateTime.UtcNow < deadline, $"only {Acks} of {wanted} acknowledgements within 60 s\n{mesh.Logs}");
                Assert.False(_completion.IsCompleted, $"the pushers stopped: {string.Join("; ", Rejected.Select(p => p.Failure))}");
                await Task.Delay(20, cancellationToken);
            }
        }

        public async Task StopAsync()
        {
            _stopping = true;
            await _completion;
        }

        private async Task RunAsync(IProfilerServer server, string tenant, string service, CancellationToken cancellationToken)
        {
            while (!_stopping && !cancellationToken.IsCancellationRequested)
            {
                var i = Interlocked.Increment(ref _next);
                var file = i % 2 == 0 ? "go-cpu.pb.gz" : "node-wall.pb.gz";
                var profile = new SentProfile(tenant, service, file, Pusher.BaseTimestampNanos + (i * 1_000_000_000L));
                _sent.Enqueue(profile);
                await Pusher.SendAsync(server, profile, sendTenantHeader: false, cancellationToken);
                if (profile.Acknowledged)
                {
                    Interlocked.Increment(ref _acks);
                }
                else if (profile.Status is >= 400 and < 500)
                {
                    Rejected.Enqueue(profile);
                    return;
                }
                else
                {
                    // 5xx or no answer: back off a little, then the next upload (like a real client's retry).
                    await Task.Delay(20, cancellationToken);
                }
            }
        }
    }
}
