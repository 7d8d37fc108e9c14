using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Dapr.Profiler.DaprSidecar.Emulator.Tests;

public sealed class PubSubTests
{
    private const string Subscriptions = """
        [
          {"pubsubname":"pubsub","topic":"events","route":"/on-events"},
          {"pubsubname":"pubsub","topic":"raw","routes":{"rules":[],"default":"/on-raw"},"metadata":{"rawPayload":"true"}},
          {"pubsubname":"pubsub","topic":"work","route":"/ignored","routes":{"default":"/on-work"},"deadLetterTopic":"dead"},
          {"pubsubname":"pubsub","topic":"dead","route":"/on-dead"},
          {"pubsubname":"pubsub","topic":"nopath"}
        ]
        """;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private sealed class Fixture : IAsyncDisposable
    {
        public required TestApp Subscriber { get; init; }

        public required SidecarCluster Cluster { get; init; }

        public required HttpClient Publisher { get; init; }

        public async ValueTask DisposeAsync()
        {
            Publisher.Dispose();
            await Cluster.DisposeAsync();
            await Subscriber.DisposeAsync();
        }
    }

    private static async Task<Fixture> StartAsync(Func<HttpContext, RecordedRequest, Task>? handler = null)
    {
        var subscriber = await TestApp.StartSubscriberAsync(Subscriptions, handler ?? ((_, _) => Task.CompletedTask));
        var cluster = await SidecarCluster.StartAsync(new SidecarClusterOptions
        {
            Apps =
            [
                new SidecarApp { AppId = "publisher" },
                new SidecarApp { AppId = "subscriber", AppPort = subscriber.Port },
            ],
            MaxDeliveryAttempts = 3,
            InitialRedeliveryDelay = TimeSpan.FromMilliseconds(5),
            MaxRedeliveryDelay = TimeSpan.FromMilliseconds(20),
        }, Ct);
        await cluster.WaitForAppsAsync(Ct);
        return new Fixture { Subscriber = subscriber, Cluster = cluster, Publisher = cluster["publisher"].ClientFor() };
    }

    private static async Task PublishAsync(HttpClient client, string topic, HttpContent content, string query = "")
    {
        using var response = await client.PostAsync($"/v1.0/publish/pubsub/{topic}{query}", content, Ct);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }

    private static ByteArrayContent Content(byte[] body, string? contentType)
    {
        var content = new ByteArrayContent(body);
        if (contentType is not null)
        {
            content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }

        return content;
    }

    [Fact]
    public async Task Json_publish_builds_the_envelope_with_a_data_object()
    {
        await using var f = await StartAsync();
        await PublishAsync(f.Publisher, "events", Content("""{"b":1,"a":[true]}"""u8.ToArray(), "application/json; charset=utf-8"));

        var delivery = (await f.Subscriber.WaitForPathAsync("/on-events")).Single();
        Assert.Equal("POST", delivery.Method);
        Assert.Equal("application/cloudevents+json", delivery.Header("Content-Type"));
        using var envelope = JsonDocument.Parse(delivery.Body);
        var e = envelope.RootElement;
        Assert.True(Guid.TryParse(e.GetProperty("id").GetString(), out _));
        Assert.Equal("1.0", e.GetProperty("specversion").GetString());
        Assert.Equal("publisher", e.GetProperty("source").GetString());
        Assert.Equal("com.dapr.event.sent", e.GetProperty("type").GetString());
        Assert.Equal("application/json; charset=utf-8", e.GetProperty("datacontenttype").GetString());
        Assert.Equal("events", e.GetProperty("topic").GetString());
        Assert.Equal("pubsub", e.GetProperty("pubsubname").GetString());
        Assert.Equal(e.GetProperty("traceparent").GetString(), e.GetProperty("traceid").GetString());
        Assert.Matches("^00-[0-9a-f]{32}-[0-9a-f]{16}-01$", e.GetProperty("traceparent").GetString()!);
        Assert.Equal(string.Empty, e.GetProperty("tracestate").GetString());
        Assert.True(DateTimeOffset.TryParse(e.GetProperty("time").GetString(), System.Globalization.CultureInfo.InvariantCulture, out _));
        Assert.Equal(1, e.GetProperty("data").GetProperty("b").GetInt32());
        Assert.False(e.TryGetProperty("data_base64", out _));
        var keys = e.EnumerateObject().Select(p => p.Name).ToList();
        Assert.Equal(keys.Order(StringComparer.Ordinal), keys);
        Assert.Equal("pubsub", delivery.Header("pubsubName"));
    }

    [Theory]
    [InlineData("application/octet-stream", "application/octet-stream")]
    [InlineData("text/plain", "text/plain")]
    [InlineData(null, "text/plain")]
    [InlineData("application/cloudevents+json+x", "application/cloudevents+json+x")]
    [InlineData("application/vnd.api+json", "application/vnd.api+json")]
    public async Task Non_json_content_types_put_data_in_base64_or_a_string(string? contentType, string expectedDataContentType)
    {
        await using var f = await StartAsync();
        var body = Encoding.UTF8.GetBytes("{\"not\":\"parsed\"}");
        await PublishAsync(f.Publisher, "events", Content(body, contentType));

        var delivery = (await f.Subscriber.WaitForPathAsync("/on-events")).Single();
        using var envelope = JsonDocument.Parse(delivery.Body);
        var e = envelope.RootElement;
        Assert.Equal(expectedDataContentType, e.GetProperty("datacontenttype").GetString());
        if (contentType == "application/octet-stream")
        {
            Assert.Equal(Convert.ToBase64String(body), e.GetProperty("data_base64").GetString());
            Assert.False(e.TryGetProperty("data", out _));
        }
        else
        {
            Assert.Equal(JsonValueKind.String, e.GetProperty("data").ValueKind);
            Assert.Equal("{\"not\":\"parsed\"}", e.GetProperty("data").GetString());
        }
    }

    [Fact]
    public async Task Unparsable_json_falls_back_to_a_string()
    {
        await using var f = await StartAsync();
        await PublishAsync(f.Publisher, "events", Content("not json"u8.ToArray(), "application/json"));
        var delivery = (await f.Subscriber.WaitForPathAsync("/on-events")).Single();
        using var envelope = JsonDocument.Parse(delivery.Body);
        Assert.Equal("not json", envelope.RootElement.GetProperty("data").GetString());
    }

    [Fact]
    public async Task Caller_supplied_cloudevent_is_kept_and_completed()
    {
        await using var f = await StartAsync();
        var own = """{"id":"my-id","source":"me","type":"my.type","specversion":"1.0","datacontenttype":"application/json","data":{"x":1},"custom":"kept","topic":"wrong"}""";
        await PublishAsync(f.Publisher, "events", Content(Encoding.UTF8.GetBytes(own), "application/cloudevents+json"));

        var delivery = (await f.Subscriber.WaitForPathAsync("/on-events")).Single();
        using var envelope = JsonDocument.Parse(delivery.Body);
        var e = envelope.RootElement;
        Assert.Equal("my-id", e.GetProperty("id").GetString());
        Assert.Equal("me", e.GetProperty("source").GetString());
        Assert.Equal("my.type", e.GetProperty("type").GetString());
        Assert.Equal("kept", e.GetProperty("custom").GetString());
        Assert.Equal("events", e.GetProperty("topic").GetString());
        Assert.Equal("pubsub", e.GetProperty("pubsubname").GetString());
        Assert.True(e.TryGetProperty("time", out _));
        Assert.True(e.TryGetProperty("traceparent", out _));
    }

    [Fact]
    public async Task Cloudevent_metadata_overrides_envelope_fields()
    {
        await using var f = await StartAsync();
        await PublishAsync(f.Publisher, "events", Content("x"u8.ToArray(), "text/plain"), "?metadata.cloudevent.id=fixed&metadata.cloudevent.subject=s1");
        var delivery = (await f.Subscriber.WaitForPathAsync("/on-events")).Single();
        using var envelope = JsonDocument.Parse(delivery.Body);
        Assert.Equal("fixed", envelope.RootElement.GetProperty("id").GetString());
        Assert.Equal("s1", envelope.RootElement.GetProperty("subject").GetString());
    }

    [Fact]
    public async Task Raw_payload_is_wrapped_in_data_base64_for_raw_subscriptions_and_json_is_passed_as_is_otherwise()
    {
        await using var f = await StartAsync();
        byte[] raw = [0, 1, 2, 255];
        await PublishAsync(f.Publisher, "raw", Content(raw, "application/octet-stream"), "?metadata.rawPayload=true");
        var delivery = (await f.Subscriber.WaitForPathAsync("/on-raw")).Single();
        Assert.Equal("application/cloudevents+json", delivery.Header("Content-Type"));
        using (var envelope = JsonDocument.Parse(delivery.Body))
        {
            Assert.Equal("application/octet-stream", envelope.RootElement.GetProperty("datacontenttype").GetString());
            Assert.Equal(Convert.ToBase64String(raw), envelope.RootElement.GetProperty("data_base64").GetString());
        }

        await PublishAsync(f.Publisher, "events", Content("""{"plain":true}"""u8.ToArray(), "application/json"), "?metadata.rawPayload=true");
        var plain = (await f.Subscriber.WaitForPathAsync("/on-events")).Single();
        Assert.Equal("""{"plain":true}""", plain.BodyText);
    }

    [Fact]
    public async Task Publish_errors_follow_daprd()
    {
        await using var f = await StartAsync();
        using (var unknown = await f.Publisher.PostAsync("/v1.0/publish/nope/events", new StringContent("x"), Ct))
        {
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
            using var body = JsonDocument.Parse(await unknown.Content.ReadAsStringAsync(Ct));
            Assert.Equal("ERR_PUBSUB_NOT_FOUND", body.RootElement.GetProperty("errorCode").GetString());
        }

        using (var badRaw = await f.Publisher.PostAsync("/v1.0/publish/pubsub/events?metadata.rawPayload=maybe", new StringContent("x"), Ct))
        {
            Assert.Equal(HttpStatusCode.BadRequest, badRaw.StatusCode);
            using var body = JsonDocument.Parse(await badRaw.Content.ReadAsStringAsync(Ct));
            Assert.Equal("ERR_PUBSUB_REQUEST_METADATA", body.RootElement.GetProperty("errorCode").GetString());
        }

        using (var noTopic = await f.Publisher.PostAsync("/v1.0/publish/pubsub/", new StringContent("x"), Ct))
        {
            Assert.Equal(HttpStatusCode.NotFound, noTopic.StatusCode);
        }
    }

    [Fact]
    public async Task Subscriptions_are_learned_in_both_shapes_and_shown_in_metadata()
    {
        await using var f = await StartAsync();
        var subscriptions = f.Cluster["subscriber"].Subscriptions;
        Assert.Equal(4, subscriptions.Count);
        Assert.Equal("/on-work", subscriptions.Single(s => s.Topic == "work").Route);
        Assert.Equal("dead", subscriptions.Single(s => s.Topic == "work").DeadLetterTopic);
        Assert.True(subscriptions.Single(s => s.Topic == "raw").RawPayload);

        using var client = f.Cluster["subscriber"].ClientFor();
        using var metadata = JsonDocument.Parse(await client.GetStringAsync("/v1.0/metadata", Ct));
        Assert.Equal("subscriber", metadata.RootElement.GetProperty("id").GetString());
        Assert.Equal(4, metadata.RootElement.GetProperty("subscriptions").GetArrayLength());
        Assert.Contains(metadata.RootElement.GetProperty("components").EnumerateArray(), c => c.GetProperty("name").GetString() == "pubsub");
    }

    private static string? DataText(RecordedRequest request)
    {
        using var envelope = JsonDocument.Parse(request.Body);
        return envelope.RootElement.GetProperty("data").GetString();
    }

    private static Func<HttpContext, RecordedRequest, Task> Reply(Func<string, int, (int Status, string? Body)> decide)
    {
        var attempts = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        return async (context, request) =>
        {
            if (request.Path != "/on-work")
            {
                return;
            }

            var data = DataText(request)!;
            var attempt = attempts.AddOrUpdate(data, 1, (_, n) => n + 1);
            var (status, body) = decide(data, attempt);
            context.Response.StatusCode = status;
            if (body is not null)
            {
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync(body);
            }
        };
    }

    [Fact]
    public async Task Delivery_outcomes_follow_the_2xx_status_404_and_other_rules()
    {
        await using var f = await StartAsync(Reply((data, attempt) => data switch
        {
            "success" => (200, """{"status":"SUCCESS"}"""),
            "empty" => (204, null),
            "retry" => attempt < 2 ? (200, """{"status":"RETRY"}""") : (200, """{"status":"SUCCESS"}"""),
            "unknown-status" => attempt < 2 ? (200, """{"status":"success"}""") : (200, "{}"),
            "fail500" => attempt < 3 ? (500, null) : (200, null),
            "drop" => (200, """{"status":"DROP"}"""),
            "missing" => (404, null),
            "always500" => (500, null),
            _ => (200, null),
        }));

        foreach (var data in new[] { "success", "empty", "retry", "unknown-status", "fail500", "drop", "missing", "always500", "last" })
        {
            await PublishAsync(f.Publisher, "work", Content(Encoding.UTF8.GetBytes(data), "text/plain"));
        }

        // Delivery is serial per subscription: once "last" arrives, every earlier message is settled.
        await f.Subscriber.WaitForAsync(r => r.Path == "/on-work" && DataText(r) == "last");
        var dead = await f.Subscriber.WaitForPathAsync("/on-dead", 3);

        int Attempts(string data) => f.Subscriber.Requests.Count(r => r.Path == "/on-work" && DataText(r) == data);
        Assert.Equal(1, Attempts("success"));
        Assert.Equal(1, Attempts("empty"));
        Assert.Equal(2, Attempts("retry"));
        Assert.Equal(2, Attempts("unknown-status"));
        Assert.Equal(3, Attempts("fail500"));
        Assert.Equal(1, Attempts("drop"));
        Assert.Equal(1, Attempts("missing"));
        Assert.Equal(3, Attempts("always500"));
        Assert.Equal(["drop", "missing", "always500"], dead.Select(DataText));
        using var deadEnvelope = JsonDocument.Parse(dead[0].Body);
        Assert.Equal("work", deadEnvelope.RootElement.GetProperty("topic").GetString());
    }

    [Fact]
    public async Task Topics_without_a_dead_letter_drop_after_the_attempt_limit()
    {
        await using var f = await StartAsync(async (context, request) =>
        {
            if (request.Path == "/on-events")
            {
                context.Response.StatusCode = DataText(request) == "bad" ? 503 : 200;
            }

            await Task.CompletedTask;
        });
        await PublishAsync(f.Publisher, "events", Content("bad"u8.ToArray(), "text/plain"));
        await PublishAsync(f.Publisher, "events", Content("good"u8.ToArray(), "text/plain"));
        await f.Subscriber.WaitForAsync(r => r.Path == "/on-events" && DataText(r) == "good");
        Assert.Equal(3, f.Subscriber.Requests.Count(r => r.Path == "/on-events" && DataText(r) == "bad"));
        Assert.DoesNotContain(f.Subscriber.Requests, r => r.Path == "/on-dead");
    }
}
