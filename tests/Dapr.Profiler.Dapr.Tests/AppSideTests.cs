using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Dapr.Profiler.Mesh;
using Microsoft.AspNetCore.Builder;

namespace Dapr.Profiler.Dapr.Tests;

public sealed class AppSideTests
{
    private const string AppToken = "app-secret";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private sealed class App : IAsyncDisposable
    {
        public required TestHost Host { get; init; }

        public ConcurrentQueue<TopicEvent> Received { get; } = new();

        public Func<TopicEvent, TopicResult> Answer { get; set; } = _ => TopicResult.Success;

        public HttpClient Http { get; } = new();

        public async ValueTask DisposeAsync()
        {
            Http.Dispose();
            await Host.DisposeAsync();
        }

        public async Task<(HttpStatusCode Status, string Body)> PostAsync(string path, string contentType, byte[] body, string? token = AppToken)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(Host.Address, path)) { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
            if (token is not null)
            {
                request.Headers.Add("dapr-api-token", token);
            }

            using var response = await Http.SendAsync(request, Ct);
            return (response.StatusCode, await response.Content.ReadAsStringAsync(Ct));
        }

        public async Task<(HttpStatusCode Status, string Body)> GetAsync(string path, string? token = AppToken)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(Host.Address, path));
            if (token is not null)
            {
                request.Headers.Add("dapr-api-token", token);
            }

            using var response = await Http.SendAsync(request, Ct);
            return (response.StatusCode, await response.Content.ReadAsStringAsync(Ct));
        }
    }

    private static async Task<App> StartAppAsync(string? appToken = AppToken)
    {
        App? app = null;
        var registry = new SubscriptionRegistry();
        registry.Subscribe(new Subscription("pubsub", "profiles", "/events/profiles", "profiles-deadletter", Handle));
        registry.Subscribe(new Subscription("pubsub", "raw", "raw-events", null, Handle));
        registry.Subscribe(new Subscription("pubsub", "fails", "/fails", null, (_, _) => throw new InvalidOperationException("handler bug")));
        var options = new DaprSubscriptionOptions().WithRawPayload("pubsub", "raw");
        var host = await TestHost.StartAsync(web =>
        {
            web.UseDaprAppToken(appToken ?? string.Empty);
            web.MapGet("/healthz", () => "ok");
            web.MapDaprSubscriptions(registry, options);
        });
        app = new App { Host = host };
        return app;

        Task<TopicResult> Handle(TopicEvent evt, CancellationToken ct)
        {
            app!.Received.Enqueue(evt);
            return Task.FromResult(app.Answer(evt));
        }
    }

    private static byte[] CloudEvent(string dataPart, string? dataContentType = "application/json") =>
        Encoding.UTF8.GetBytes(
            "{" + (dataContentType is null ? "" : $"\"datacontenttype\":\"{dataContentType}\",")
            + dataPart + ",\"id\":\"5929aaac-a5e2-4ca1-859c-edfe73f11565\",\"pubsubname\":\"pubsub\",\"source\":\"distributor\","
            + "\"specversion\":\"1.0\",\"time\":\"2024-01-02T03:04:05Z\",\"topic\":\"profiles\",\"traceid\":\"00-a-b-01\","
            + "\"traceparent\":\"00-a-b-01\",\"tracestate\":\"\",\"type\":\"com.dapr.event.sent\"}");

    [Fact]
    public async Task Subscribe_lists_the_registry()
    {
        await using var app = await StartAppAsync();

        var (status, body) = await app.GetAsync("/dapr/subscribe");

        Assert.Equal(HttpStatusCode.OK, status);
        using var list = JsonDocument.Parse(body);
        var items = list.RootElement.EnumerateArray().ToArray();
        Assert.Equal(3, items.Length);
        Assert.Equal("pubsub", items[0].GetProperty("pubsubname").GetString());
        Assert.Equal("profiles", items[0].GetProperty("topic").GetString());
        Assert.Equal("/events/profiles", items[0].GetProperty("route").GetString());
        Assert.Equal("profiles-deadletter", items[0].GetProperty("deadLetterTopic").GetString());
        Assert.Empty(items[0].GetProperty("metadata").EnumerateObject());
        Assert.Equal("/raw-events", items[1].GetProperty("route").GetString());
        Assert.False(items[1].TryGetProperty("deadLetterTopic", out _));
        Assert.Equal("true", items[1].GetProperty("metadata").GetProperty("rawPayload").GetString());
    }

    [Fact]
    public async Task A_CloudEvent_with_JSON_data_delivers_the_JSON_bytes()
    {
        await using var app = await StartAppAsync();

        var (status, body) = await app.PostAsync("/events/profiles", "application/cloudevents+json", CloudEvent("\"data\":{\"tenant\":\"t1\",\"n\":[1,2]}"));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("""{"status":"SUCCESS"}""", body);
        var evt = Assert.Single(app.Received);
        Assert.Equal("5929aaac-a5e2-4ca1-859c-edfe73f11565", evt.Id);
        Assert.Equal("distributor", evt.Source);
        Assert.Equal("com.dapr.event.sent", evt.Type);
        Assert.Equal("pubsub", evt.PubSubName);
        Assert.Equal("profiles", evt.Topic);
        Assert.Equal("application/json", evt.DataContentType);
        Assert.Equal("""{"tenant":"t1","n":[1,2]}""", Encoding.UTF8.GetString(evt.Data.Span));
    }

    [Fact]
    public async Task A_CloudEvent_with_data_base64_delivers_the_bytes()
    {
        await using var app = await StartAppAsync();
        var bytes = new byte[] { 0, 1, 2, 254, 255 };

        var (_, body) = await app.PostAsync("/events/profiles", "application/cloudevents+json",
            CloudEvent($"\"data_base64\":\"{Convert.ToBase64String(bytes)}\"", "application/octet-stream"));

        Assert.Equal("""{"status":"SUCCESS"}""", body);
        var evt = Assert.Single(app.Received);
        Assert.Equal("application/octet-stream", evt.DataContentType);
        Assert.Equal(bytes, evt.Data.ToArray());
    }

    [Fact]
    public async Task A_CloudEvent_with_string_data_delivers_its_text()
    {
        await using var app = await StartAppAsync();

        var (_, body) = await app.PostAsync("/events/profiles", "application/cloudevents+json", CloudEvent("\"data\":\"hello \\u00e9\"", "text/plain"));

        Assert.Equal("""{"status":"SUCCESS"}""", body);
        var evt = Assert.Single(app.Received);
        Assert.Equal("text/plain", evt.DataContentType);
        Assert.Equal("hello é", Encoding.UTF8.GetString(evt.Data.Span));
    }

    [Fact]
    public async Task A_raw_payload_subscription_takes_the_raw_body_and_the_synthesized_CloudEvent()
    {
        await using var app = await StartAppAsync();
        var bytes = new byte[] { 10, 20, 30 };

        var (status, body) = await app.PostAsync("/raw-events", "application/octet-stream", bytes);
        var (_, body2) = await app.PostAsync("/raw-events", "application/cloudevents+json",
            CloudEvent($"\"data_base64\":\"{Convert.ToBase64String(bytes)}\"", "application/octet-stream"));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("""{"status":"SUCCESS"}""", body);
        Assert.Equal("""{"status":"SUCCESS"}""", body2);
        var events = app.Received.ToArray();
        Assert.Equal(2, events.Length);
        Assert.All(events, e => Assert.Equal(bytes, e.Data.ToArray()));
        Assert.Equal("raw", events[0].Topic);
        Assert.Equal("application/octet-stream", events[0].DataContentType);
        Assert.False(string.IsNullOrEmpty(events[0].Id));
    }

    [Fact]
    public async Task Plain_JSON_on_a_normal_subscription_is_delivered_as_is()
    {
        await using var app = await StartAppAsync();

        var (_, body) = await app.PostAsync("/events/profiles", "application/json", "{\"a\":1}"u8.ToArray());

        Assert.Equal("""{"status":"SUCCESS"}""", body);
        var evt = Assert.Single(app.Received);
        Assert.Equal("{\"a\":1}", Encoding.UTF8.GetString(evt.Data.Span));
        Assert.Equal("profiles", evt.Topic);
    }

    [Theory]
    [InlineData(TopicResult.Success, "SUCCESS")]
    [InlineData(TopicResult.Retry, "RETRY")]
    [InlineData(TopicResult.Drop, "DROP")]
    public async Task The_handler_result_is_the_status(TopicResult result, string expected)
    {
        await using var app = await StartAppAsync();
        app.Answer = _ => result;

        var (status, body) = await app.PostAsync("/events/profiles", "application/cloudevents+json", CloudEvent("\"data\":{}"));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal($$"""{"status":"{{expected}}"}""", body);
    }

    [Fact]
    public async Task A_throwing_handler_answers_200_RETRY()
    {
        await using var app = await StartAppAsync();

        var (status, body) = await app.PostAsync("/fails", "application/cloudevents+json", CloudEvent("\"data\":{}"));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("""{"status":"RETRY"}""", body);
    }

    [Theory]
    [InlineData("application/cloudevents+json", "{not json")]
    [InlineData("application/cloudevents+json", "{\"id\":\"x\",\"data\":{}}")]
    [InlineData("application/cloudevents+json", "{\"specversion\":\"1.0\",\"id\":\"x\",\"data_base64\":\"***\"}")]
    [InlineData("application/cloudevents+json", "{\"specversion\":\"1.0\",\"id\":7}")]
    [InlineData("text/plain", "hello")]
    [InlineData("application/json", "[oops")]
    public async Task A_malformed_delivery_answers_DROP(string contentType, string payload)
    {
        await using var app = await StartAppAsync();

        var (status, body) = await app.PostAsync("/events/profiles", contentType, Encoding.UTF8.GetBytes(payload));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("""{"status":"DROP"}""", body);
        Assert.Empty(app.Received);
    }

    [Fact]
    public async Task App_routes_require_the_app_token_except_health()
    {
        await using var app = await StartAppAsync();

        Assert.Equal(HttpStatusCode.Unauthorized, (await app.GetAsync("/dapr/subscribe", token: null)).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.GetAsync("/dapr/subscribe", token: "wrong")).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.PostAsync("/events/profiles", "application/cloudevents+json", CloudEvent("\"data\":{}"), token: null)).Status);
        Assert.Empty(app.Received);
        Assert.Equal(HttpStatusCode.OK, (await app.GetAsync("/healthz", token: null)).Status);
        Assert.Equal(HttpStatusCode.OK, (await app.GetAsync("/dapr/subscribe")).Status);
    }

    [Fact]
    public async Task Without_an_app_token_nothing_is_checked()
    {
        await using var app = await StartAppAsync(appToken: null);

        Assert.Equal(HttpStatusCode.OK, (await app.GetAsync("/dapr/subscribe", token: null)).Status);
    }
}
