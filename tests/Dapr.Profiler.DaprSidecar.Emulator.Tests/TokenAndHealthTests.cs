using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Dapr.Profiler.DaprSidecar.Emulator.Tests;

public sealed class TokenAndHealthTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Api_token_is_required_except_for_health()
    {
        await using var cluster = await SidecarCluster.StartAsync(new SidecarClusterOptions
        {
            Apps = [new SidecarApp { AppId = "a", ApiToken = "secret" }],
        }, Ct);
        await cluster.WaitForAppsAsync(Ct);
        using var anonymous = cluster["a"].ClientFor();
        using var wrong = cluster["a"].ClientFor("nope");
        using var right = cluster["a"].ClientFor("secret");

        using var denied = await anonymous.GetAsync("/v1.0/metadata", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, denied.StatusCode);
        Assert.Equal("invalid api token", await denied.Content.ReadAsStringAsync(Ct));
        using var deniedWrong = await wrong.PostAsync("/v1.0/publish/pubsub/t", new StringContent("x"), Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, deniedWrong.StatusCode);

        using var health = await anonymous.GetAsync("/v1.0/healthz", Ct);
        Assert.Equal(HttpStatusCode.NoContent, health.StatusCode);
        using var outbound = await anonymous.GetAsync("/v1.0/healthz/outbound", Ct);
        Assert.Equal(HttpStatusCode.NoContent, outbound.StatusCode);

        using var allowed = await right.GetAsync("/v1.0/metadata", Ct);
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        using var metadata = JsonDocument.Parse(await allowed.Content.ReadAsStringAsync(Ct));
        Assert.Equal("a", metadata.RootElement.GetProperty("id").GetString());
    }

    [Fact]
    public async Task App_api_token_is_sent_on_app_channel_requests()
    {
        await using var app = await TestApp.StartSubscriberAsync(
            """[{"pubsubname":"pubsub","topic":"t","route":"/on-t"}]""",
            (context, _) => Task.CompletedTask);
        await using var cluster = await SidecarCluster.StartAsync(new SidecarClusterOptions
        {
            Apps = [new SidecarApp { AppId = "a", AppPort = app.Port, AppApiToken = "to-app" }],
        }, Ct);
        await cluster.WaitForAppsAsync(Ct);
        using var client = cluster["a"].ClientFor();
        using var published = await client.PostAsync("/v1.0/publish/pubsub/t", new StringContent("x"), Ct);
        Assert.Equal(HttpStatusCode.NoContent, published.StatusCode);
        await app.WaitForPathAsync("/on-t");

        Assert.All(app.Requests, r => Assert.Equal("to-app", r.Header("dapr-api-token")));
        Assert.Contains(app.Requests, r => r.Path == "/dapr/config");
        Assert.Contains(app.Requests, r => r.Path == "/dapr/subscribe");
    }

    [Fact]
    public async Task Healthz_turns_204_only_after_the_app_listens_and_subscriptions_are_read()
    {
        var port = TestApp.FreePort();
        await using var cluster = await SidecarCluster.StartAsync(new SidecarClusterOptions
        {
            Apps = [new SidecarApp { AppId = "late", AppPort = port }],
        }, Ct);
        using var client = cluster["late"].ClientFor();

        using (var notReady = await client.GetAsync("/v1.0/healthz", Ct))
        {
            Assert.Equal(HttpStatusCode.InternalServerError, notReady.StatusCode);
            using var body = JsonDocument.Parse(await notReady.Content.ReadAsStringAsync(Ct));
            Assert.Equal("ERR_HEALTH_NOT_READY", body.RootElement.GetProperty("errorCode").GetString());
        }

        using (var outbound = await client.GetAsync("/v1.0/healthz/outbound", Ct))
        {
            Assert.Equal(HttpStatusCode.NoContent, outbound.StatusCode);
        }

        var healthWhileSubscribing = HttpStatusCode.OK;
        await using var app = await TestApp.StartAsync(
            async (context, request) =>
            {
                if (request.Path == "/dapr/subscribe")
                {
                    using var probe = await client.GetAsync("/v1.0/healthz", Ct);
                    healthWhileSubscribing = probe.StatusCode;
                    context.Response.ContentType = "application/json";
                    await context.Response.WriteAsync("[]");
                }
            },
            port);

        await cluster["late"].AppChannelReady.WaitAsync(TestApp.Timeout, Ct);
        using (var ready = await client.GetAsync("/v1.0/healthz", Ct))
        {
            Assert.Equal(HttpStatusCode.NoContent, ready.StatusCode);
        }

        using (var mismatch = await client.GetAsync("/v1.0/healthz?appid=other", Ct))
        {
            Assert.Equal(HttpStatusCode.InternalServerError, mismatch.StatusCode);
        }

        Assert.Equal(HttpStatusCode.InternalServerError, healthWhileSubscribing);
        Assert.Equal(["/dapr/config", "/dapr/subscribe"], app.Requests.Select(r => r.Path));
    }
}
