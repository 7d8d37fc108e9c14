using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dapr.Profiler.Mesh;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;

namespace Dapr.Profiler.Dapr.Tests;

public sealed class DaprClientTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task InvokeMethod_posts_to_the_invoke_path_with_token_content_type_and_body()
    {
        await using var sidecar = await FakeSidecar.StartAsync();
        sidecar.Handler = (context, _) =>
        {
            context.Response.ContentType = "application/x-protobuf";
            return context.Response.Body.WriteAsync(new byte[] { 9, 8, 7 }, context.RequestAborted).AsTask();
        };
        var client = sidecar.CreateClient();

        var answer = await client.InvokeMethodAsync("segment-writer", "segmentwriter.v1.SegmentWriterService/Push", [1, 2, 3], "application/x-protobuf", Ct);

        Assert.Equal(new byte[] { 9, 8, 7 }, answer);
        var request = Assert.Single(sidecar.Requests);
        Assert.Equal("POST", request.Method);
        Assert.Equal("/v1.0/invoke/segment-writer/method/segmentwriter.v1.SegmentWriterService/Push", request.Path);
        Assert.Equal("sidecar-secret", request.Headers["dapr-api-token"]);
        Assert.Equal("application/x-protobuf", request.ContentType);
        Assert.Equal(new byte[] { 1, 2, 3 }, request.Body);
    }

    [Fact]
    public async Task No_token_header_is_sent_without_DAPR_API_TOKEN()
    {
        await using var sidecar = await FakeSidecar.StartAsync();
        var client = sidecar.CreateClient(apiToken: null);

        await client.PublishEventAsync("pubsub", "profiles", "x"u8.ToArray(), "text/plain", cancellationToken: Ct);

        Assert.False(Assert.Single(sidecar.Requests).Headers.ContainsKey("dapr-api-token"));
    }

    [Theory]
    [InlineData(500, """{"errorCode":"ERR_DIRECT_INVOKE","message":"failed to invoke, id: nope, err: couldn't find service: nope"}""", ServiceStatus.Unavailable)]
    [InlineData(404, """{"errorCode":"ERR_DIRECT_INVOKE","message":"failed getting app id either from the URL path or the header dapr-app-id"}""", ServiceStatus.InvalidArgument)]
    [InlineData(403, """{"errorCode":"ERR_PERMISSION_DENIED","message":"access control policy has denied access"}""", ServiceStatus.PermissionDenied)]
    [InlineData(404, """{"code":"not_found","message":"no method a/b is hosted here"}""", ServiceStatus.NotFound)]
    [InlineData(400, """{"code":"failed_precondition","message":"not the leader"}""", ServiceStatus.FailedPrecondition)]
    [InlineData(503, """{"code":"unavailable","message":"shutting down"}""", ServiceStatus.Unavailable)]
    [InlineData(429, """{"code":"resource_exhausted","message":"slow down"}""", ServiceStatus.ResourceExhausted)]
    [InlineData(500, """{"code":"internal","message":"boom"}""", ServiceStatus.Internal)]
    [InlineData(502, "bad gateway", ServiceStatus.Unavailable)]
    public async Task InvokeMethod_maps_sidecar_and_app_errors_to_service_statuses(int status, string body, ServiceStatus expected)
    {
        await using var sidecar = await FakeSidecar.StartAsync();
        sidecar.Handler = (context, _) => context.AnswerJsonAsync(status, body);
        var client = sidecar.CreateClient();

        var ex = await Assert.ThrowsAsync<DaprApiException>(() => client.InvokeMethodAsync("app", "svc/m", [], "application/x-protobuf", Ct));

        Assert.Equal(expected, ex.Status);
        Assert.Equal((HttpStatusCode)status, ex.HttpStatus);
    }

    [Fact]
    public async Task App_error_keeps_its_message()
    {
        await using var sidecar = await FakeSidecar.StartAsync();
        sidecar.Handler = (context, _) => context.AnswerJsonAsync(409, """{"code":"already_exists","message":"block 01H exists"}""");
        var client = sidecar.CreateClient();

        var ex = await Assert.ThrowsAsync<DaprApiException>(() => client.InvokeMethodAsync("app", "svc/m", [], "application/x-protobuf", Ct));

        Assert.Equal(ServiceStatus.AlreadyExists, ex.Status);
        Assert.Equal("block 01H exists", ex.Message);
        Assert.Equal("already_exists", ex.ErrorCode);
    }

    [Fact]
    public async Task Wrong_api_token_is_Unauthenticated()
    {
        await using var sidecar = await FakeSidecar.StartAsync();
        sidecar.Handler = async (context, request) =>
        {
            context.Response.StatusCode = 401;
            await context.Response.WriteAsync("invalid api token", context.RequestAborted);
        };
        var client = sidecar.CreateClient("wrong");

        var ex = await Assert.ThrowsAsync<DaprApiException>(() => client.InvokeMethodAsync("app", "svc/m", [], "application/x-protobuf", Ct));

        Assert.Equal(ServiceStatus.Unauthenticated, ex.Status);
        Assert.Contains("invalid api token", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_sidecar_is_Unavailable()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var client = new DaprClient(new HttpClient(), new DaprOptions { HttpPort = port });

        var ex = await Assert.ThrowsAsync<DaprApiException>(() => client.InvokeMethodAsync("app", "svc/m", [], "application/x-protobuf", Ct));

        Assert.Equal(ServiceStatus.Unavailable, ex.Status);
        Assert.Null(ex.HttpStatus);
    }

    [Fact]
    public async Task PublishEvent_posts_to_the_publish_path_with_metadata_query()
    {
        await using var sidecar = await FakeSidecar.StartAsync();
        var client = sidecar.CreateClient();
        var metadata = new Dictionary<string, string> { ["rawPayload"] = "true", ["ttlInSeconds"] = "60" };

        await client.PublishEventAsync("pubsub", "profiles", new byte[] { 0, 255 }, "application/octet-stream", metadata, Ct);

        var request = Assert.Single(sidecar.Requests);
        Assert.Equal("POST", request.Method);
        Assert.Equal("/v1.0/publish/pubsub/profiles", request.Path);
        Assert.Equal("?metadata.rawPayload=true&metadata.ttlInSeconds=60", request.Query);
        Assert.Equal("application/octet-stream", request.ContentType);
        Assert.Equal(new byte[] { 0, 255 }, request.Body);
        Assert.Equal("sidecar-secret", request.Headers["dapr-api-token"]);
    }

    [Theory]
    [InlineData(404, "ERR_PUBSUB_NOT_FOUND", ServiceStatus.NotFound)]
    [InlineData(403, "ERR_PUBSUB_FORBIDDEN", ServiceStatus.PermissionDenied)]
    [InlineData(400, "ERR_PUBSUB_NOT_CONFIGURED", ServiceStatus.FailedPrecondition)]
    [InlineData(500, "ERR_PUBSUB_PUBLISH_MESSAGE", ServiceStatus.Unavailable)]
    public async Task PublishEvent_maps_sidecar_errors(int status, string errorCode, ServiceStatus expected)
    {
        await using var sidecar = await FakeSidecar.StartAsync();
        sidecar.Handler = (context, _) => context.AnswerJsonAsync(status, $$"""{"errorCode":"{{errorCode}}","message":"no"}""");
        var client = sidecar.CreateClient();

        var ex = await Assert.ThrowsAsync<DaprApiException>(() => client.PublishEventAsync("pubsub", "t", "x"u8.ToArray(), "text/plain", cancellationToken: Ct));

        Assert.Equal(expected, ex.Status);
        Assert.Equal(errorCode, ex.ErrorCode);
    }

    [Fact]
    public async Task DaprPublisher_publishes_through_the_sidecar()
    {
        await using var sidecar = await FakeSidecar.StartAsync();
        var publisher = new DaprPublisher(sidecar.CreateClient());

        await publisher.PublishAsync("pubsub", "compaction-jobs", "{\"a\":1}"u8.ToArray(), "application/json", Ct);

        var request = Assert.Single(sidecar.Requests);
        Assert.Equal("/v1.0/publish/pubsub/compaction-jobs", request.Path);
        Assert.Equal("", request.Query);
        Assert.Equal("application/json", request.ContentType);
        Assert.Equal("{\"a\":1}", Encoding.UTF8.GetString(request.Body));
    }

    [Fact]
    public async Task BulkPublish_sends_entries_and_reports_partial_failures()
    {
        await using var sidecar = await FakeSidecar.StartAsync();
        sidecar.Handler = (context, _) => context.AnswerJsonAsync(500,
            """{"failedEntries":[{"entryId":"2","error":"broker said no"}],"errorCode":"ERR_PUBSUB_PUBLISH_MESSAGE"}""");
        var client = sidecar.CreateClient();
        BulkPublishEntry[] entries =
        [
            new("1", "{\"k\":\"v\"}"u8.ToArray(), "application/json", new Dictionary<string, string> { ["m"] = "x" }),
            new("2", "hello"u8.ToArray(), "text/plain"),
            new("3", new byte[] { 1, 2, 3 }, "application/octet-stream"),
        ];

        var result = await client.BulkPublishAsync("pubsub", "profiles", entries, new Dictionary<string, string> { ["rawPayload"] = "true" }, Ct);

        var failed = Assert.Single(result.FailedEntries);
        Assert.Equal(new BulkPublishFailedEntry("2", "broker said no"), failed);
        var request = Assert.Single(sidecar.Requests);
        Assert.Equal("/v1.0-alpha1/publish/bulk/pubsub/profiles", request.Path);
        Assert.Equal("?metadata.rawPayload=true", request.Query);
        Assert.Equal("application/json", request.ContentType);
        using var body = JsonDocument.Parse(request.Body);
        var items = body.RootElement.EnumerateArray().ToArray();
        Assert.Equal(3, items.Length);
        Assert.Equal("1", items[0].GetProperty("entryId").GetString());
        Assert.Equal("v", items[0].GetProperty("event").GetProperty("k").GetString());
        Assert.Equal("application/json", items[0].GetProperty("contentType").GetString());
        Assert.Equal("x", items[0].GetProperty("metadata").GetProperty("m").GetString());
        Assert.Equal("hello", items[1].GetProperty("event").GetString());
        Assert.Equal(Convert.ToBase64String([1, 2, 3]), items[2].GetProperty("event").GetString());
    }

    [Fact]
    public async Task BulkPublish_success_has_no_failed_entries_and_a_bad_request_throws()
    {
        await using var sidecar = await FakeSidecar.StartAsync();
        var client = sidecar.CreateClient();

        var ok = await client.BulkPublishAsync("pubsub", "t", [new("1", "a"u8.ToArray(), "text/plain")], cancellationToken: Ct);
        Assert.Empty(ok.FailedEntries);

        sidecar.Handler = (context, _) => context.AnswerJsonAsync(400, """{"errorCode":"ERR_PUBSUB_EVENTS_SER","message":"duplicate entryId"}""");
        var ex = await Assert.ThrowsAsync<DaprApiException>(() => client.BulkPublishAsync("pubsub", "t", [new("1", "a"u8.ToArray(), "text/plain")], cancellationToken: Ct));
        Assert.Equal(ServiceStatus.InvalidArgument, ex.Status);
    }

    [Fact]
    public async Task InvokeBinding_sends_data_metadata_operation_and_returns_raw_bytes_and_metadata_headers()
    {
        await using var sidecar = await FakeSidecar.StartAsync();
        sidecar.Handler = async (context, _) =>
        {
            context.Response.StatusCode = 200;
            context.Response.ContentType = "application/json";
            context.Response.Headers["Metadata.key"] = "blocks/01H";
            context.Response.Headers["metadata.versionID"] = "v1";
            await context.Response.Body.WriteAsync(new byte[] { 0, 1, 2, 255 }, context.RequestAborted);
        };
        var client = sidecar.CreateClient();

        var result = await client.InvokeBindingAsync("objectstore", "get", null, new Dictionary<string, string> { ["key"] = "blocks/01H" }, Ct);

        Assert.Equal(new byte[] { 0, 1, 2, 255 }, result.Data);
        Assert.Equal("blocks/01H", result.Metadata["key"]);
        Assert.Equal("v1", result.Metadata["VERSIONID"]);
        var request = Assert.Single(sidecar.Requests);
        Assert.Equal("/v1.0/bindings/objectstore", request.Path);
        Assert.Equal("application/json", request.ContentType);
        Assert.Equal("sidecar-secret", request.Headers["dapr-api-token"]);
        using var body = JsonDocument.Parse(request.Body);
        Assert.Equal(JsonValueKind.Null, body.RootElement.GetProperty("data").ValueKind);
        Assert.Equal("blocks/01H", body.RootElement.GetProperty("metadata").GetProperty("key").GetString());
        Assert.Equal("get", body.RootElement.GetProperty("operation").GetString());
    }

    [Fact]
    public async Task InvokeBinding_sends_a_JSON_string_and_handles_204()
    {
        await using var sidecar = await FakeSidecar.StartAsync();
        var client = sidecar.CreateClient();

        var result = await client.InvokeBindingAsync("objectstore", "create", JsonValue.Create("AAEC"), new Dictionary<string, string> { ["decodeBase64"] = "true" }, Ct);

        Assert.Empty(result.Data);
        using var body = JsonDocument.Parse(Assert.Single(sidecar.Requests).Body);
        Assert.Equal("AAEC", body.RootElement.GetProperty("data").GetString());
    }

    [Fact]
    public async Task InvokeBinding_error_carries_code_and_response_metadata()
    {
        await using var sidecar = await FakeSidecar.StartAsync();
        sidecar.Handler = (context, _) =>
        {
            context.Response.Headers["metadata.key"] = "missing";
            return context.AnswerJsonAsync(500, """{"errorCode":"ERR_INVOKE_OUTPUT_BINDING","message":"error invoking output binding objectstore: object not found"}""");
        };
        var client = sidecar.CreateClient();

        var ex = await Assert.ThrowsAsync<DaprApiException>(() => client.InvokeBindingAsync("objectstore", "get", null, null, Ct));

        Assert.Equal("ERR_INVOKE_OUTPUT_BINDING", ex.ErrorCode);
        Assert.Equal(ServiceStatus.Internal, ex.Status);
        Assert.Contains("object not found", ex.Message, StringComparison.Ordinal);
        Assert.Equal("missing", ex.Metadata["key"]);
    }

    [Fact]
    public async Task WaitForSidecar_polls_outbound_health_until_204()
    {
        await using var sidecar = await FakeSidecar.StartAsync();
        var calls = 0;
        sidecar.Handler = (context, request) =>
        {
            if (Interlocked.Increment(ref calls) < 3)
            {
                return context.AnswerJsonAsync(500, """{"errorCode":"ERR_OUTBOUND_HEALTH_NOT_READY","message":"not ready"}""");
            }

            context.Response.StatusCode = 204;
            return Task.CompletedTask;
        };
        var client = sidecar.CreateClient(healthTimeout: TimeSpan.FromSeconds(30));

        await client.WaitForSidecarAsync(Ct);

        Assert.Equal(3, sidecar.Requests.Count);
        Assert.All(sidecar.Requests, r => Assert.Equal(("GET", "/v1.0/healthz/outbound"), (r.Method, r.Path)));
    }

    [Fact]
    public async Task WaitForSidecar_gives_up_at_the_deadline()
    {
        await using var sidecar = await FakeSidecar.StartAsync();
        sidecar.Handler = (context, _) => context.AnswerJsonAsync(500, """{"errorCode":"ERR_OUTBOUND_HEALTH_NOT_READY","message":"not ready"}""");
        var client = sidecar.CreateClient(healthTimeout: TimeSpan.FromMilliseconds(200));

        var ex = await Assert.ThrowsAsync<DaprApiException>(() => client.WaitForSidecarAsync(Ct));

        Assert.Equal(ServiceStatus.Unavailable, ex.Status);
        Assert.NotEmpty(sidecar.Requests);
    }

    [Fact]
    public void Options_read_the_Dapr_variables()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["DAPR_HTTP_PORT"] = "3601",
            ["DAPR_API_TOKEN"] = "a",
            ["APP_API_TOKEN"] = "b",
            ["DAPR_HEALTH_TIMEOUT"] = "5",
        }).Build();

        var options = DaprOptions.FromConfiguration(configuration);

        Assert.Equal(new Uri("http://127.0.0.1:3601/"), options.HttpEndpoint);
        Assert.Equal("a", options.ApiToken);
        Assert.Equal("b", options.AppApiToken);
        Assert.Equal(TimeSpan.FromSeconds(5), options.HealthTimeout);

        var defaults = DaprOptions.FromConfiguration(new ConfigurationBuilder().Build());
        Assert.Equal(3500, defaults.HttpPort);
        Assert.Null(defaults.ApiToken);
        Assert.Equal(TimeSpan.FromSeconds(60), defaults.HealthTimeout);

        var bad = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["DAPR_HTTP_PORT"] = "x" }).Build();
        Assert.Throws<InvalidOperationException>(() => DaprOptions.FromConfiguration(bad));
    }
}
