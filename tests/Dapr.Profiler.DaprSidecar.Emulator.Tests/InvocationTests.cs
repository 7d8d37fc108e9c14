using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Dapr.Profiler.DaprSidecar.Emulator.Tests;

public sealed class InvocationTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<(TestApp Callee, SidecarCluster Cluster)> StartAsync(string? calleeAppToken = null, string? callerApiToken = null)
    {
        var callee = await TestApp.StartAsync(async (context, request) =>
        {
            if (request.Path == "/teapot")
            {
                context.Response.StatusCode = 418;
                context.Response.Headers["X-Reply"] = "short and stout";
                context.Response.ContentType = "text/plain";
                await context.Response.WriteAsync("I am a teapot");
                return;
            }

            if (request.Path.StartsWith("/dapr/", StringComparison.Ordinal))
            {
                context.Response.StatusCode = 404;
                return;
            }

            context.Response.ContentType = "application/octet-stream";
            await context.Response.Body.WriteAsync(request.Body);
        });
        var cluster = await SidecarCluster.StartAsync(new SidecarClusterOptions
        {
            Apps =
            [
                new SidecarApp { AppId = "caller", ApiToken = callerApiToken },
                new SidecarApp { AppId = "callee", AppPort = callee.Port, AppApiToken = calleeAppToken },
            ],
        }, Ct);
        await cluster.WaitForAppsAsync(Ct);
        return (callee, cluster);
    }

    [Fact]
    public async Task Forwards_verb_cleaned_path_raw_query_headers_and_body()
    {
        var (callee, cluster) = await StartAsync(calleeAppToken: "app-secret", callerApiToken: "api-secret");
        await using var _ = callee;
        await using var __ = cluster;
        using var client = cluster["caller"].ClientFor("api-secret");
        using var request = new HttpRequestMessage(HttpMethod.Put, "/v1.0/invoke/callee/method/a//b/../c/?x=1&y=%20z&x=2")
        {
            Content = new ByteArrayContent([1, 2, 3, 250]),
        };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/x-test");
        request.Headers.Add("X-Custom", "kept");
        request.Headers.Add("dapr-caller-app-id", "spoofed");
        request.Headers.Add("Proxy-Authorization", "Basic Zm9v");

        using var response = await client.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(new byte[] { 1, 2, 3, 250 }, await response.Content.ReadAsByteArrayAsync(Ct));
        var seen = Assert.Single(callee.Requests, r => r.Path == "/a/c");
        Assert.Equal("PUT", seen.Method);
        Assert.Equal("?x=1&y=%20z&x=2", seen.Query);
        Assert.Equal("application/x-test", seen.Header("Content-Type"));
        Assert.Equal("kept", seen.Header("X-Custom"));
        Assert.Equal("caller", seen.Header("dapr-caller-app-id"));
        Assert.Equal("callee", seen.Header("dapr-callee-app-id"));
        Assert.Equal("app-secret", seen.Header("dapr-api-token"));
        Assert.False(seen.Headers.ContainsKey("Proxy-Authorization"));
        Assert.Matches("^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$", seen.Header("traceparent"));
    }

    [Theory]
    [InlineData("GET", "/v1.0/invoke/callee/method/x/", "/x")]
    [InlineData("DELETE", "/v1.0/invoke/callee/method/x/./y/../../z", "/z")]
    [InlineData("PATCH", "/v1.0/invoke/callee/method/api/v1/orders/7", "/api/v1/orders/7")]
    [InlineData("GET", "/v1.0/invoke/callee/method/", "/")]
    public async Task Cleans_the_method_path_and_keeps_the_verb(string verb, string url, string expectedPath)
    {
        var (callee, cluster) = await StartAsync();
        await using var _ = callee;
        await using var __ = cluster;
        using var client = cluster["caller"].ClientFor();
        using var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(verb), url), Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var seen = Assert.Single(callee.Requests, r => !r.Path.StartsWith("/dapr/", StringComparison.Ordinal));
        Assert.Equal(verb, seen.Method);
        Assert.Equal(expectedPath, seen.Path);
        Assert.False(seen.Headers.ContainsKey("dapr-api-token"));
    }

    [Fact]
    public async Task Relays_the_app_status_headers_and_body_verbatim()
    {
        var (callee, cluster) = await StartAsync();
        await using var _ = callee;
        await using var __ = cluster;
        using var client = cluster["caller"].ClientFor();
        using var response = await client.PostAsync("/v1.0/invoke/callee/method/teapot", new StringContent("x"), Ct);
        Assert.Equal(418, (int)response.StatusCode);
        Assert.Equal("short and stout", response.Headers.GetValues("X-Reply").Single());
        Assert.Equal("text/plain", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("I am a teapot", await response.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task Unknown_app_id_is_500_ERR_DIRECT_INVOKE()
    {
        var (callee, cluster) = await StartAsync();
        await using var _ = callee;
        await using var __ = cluster;
        using var client = cluster["caller"].ClientFor();
        using var response = await client.PostAsync("/v1.0/invoke/nobody/method/x", new StringContent("x", Encoding.UTF8), Ct);
        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal("ERR_DIRECT_INVOKE", body.RootElement.GetProperty("errorCode").GetString());
        Assert.StartsWith("failed to invoke, id: nobody, err: ", body.RootElement.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Clean_follows_go_path_clean()
    {
        Assert.Equal("/a/c", DaprPath.Clean("/a//b/../c/"));
        Assert.Equal("/", DaprPath.Clean("/../.."));
        Assert.Equal("/", DaprPath.Clean("/"));
        Assert.Equal(".", DaprPath.Clean(string.Empty));
        Assert.Equal("../x", DaprPath.Clean("../x/"));
        Assert.Equal("/a%20b", DaprPath.Escape("/a b"));
    }
}
