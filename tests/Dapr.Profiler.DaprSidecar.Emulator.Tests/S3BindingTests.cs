using System.Net;
using System.Text;
using System.Text.Json;

namespace Dapr.Profiler.DaprSidecar.Emulator.Tests;

public sealed class S3BindingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<SidecarCluster> StartAsync()
    {
        var cluster = await SidecarCluster.StartAsync(new SidecarClusterOptions
        {
            Apps = [new SidecarApp { AppId = "a" }, new SidecarApp { AppId = "b" }],
            S3Bindings = new Dictionary<string, S3BindingOptions> { ["blocks"] = new() { Bucket = "profiles" } },
        }, Ct);
        await cluster.WaitForAppsAsync(Ct);
        return cluster;
    }

    private static async Task<HttpResponseMessage> InvokeAsync(HttpClient client, string json) =>
        await client.PostAsync("/v1.0/bindings/blocks", new StringContent(json, Encoding.UTF8, "application/json"), Ct);

    [Fact]
    public async Task Create_get_list_delete_with_base64_flags_shared_across_sidecars()
    {
        await using var cluster = await StartAsync();
        using var a = cluster["a"].ClientFor();
        using var b = cluster["b"].ClientFor();
        byte[] binary = [0, 1, 2, 200];

        using (var created = await InvokeAsync(a, $$$"""{"operation":"create","data":"{{{Convert.ToBase64String(binary)}}}","metadata":{"key":"t/1/blk","decodeBase64":"true"}}"""))
        {
            Assert.Equal(HttpStatusCode.OK, created.StatusCode);
            Assert.Equal("t/1/blk", created.Headers.GetValues("metadata.key").Single());
            using var body = JsonDocument.Parse(await created.Content.ReadAsStringAsync(Ct));
            Assert.Contains("t/1/blk", body.RootElement.GetProperty("location").GetString(), StringComparison.Ordinal);
        }

        using (var text = await InvokeAsync(a, """{"operation":"create","data":"test","metadata":{"key":"t/2"}}"""))
        {
            Assert.Equal(HttpStatusCode.OK, text.StatusCode);
        }

        using (var got = await InvokeAsync(b, """{"operation":"get","metadata":{"key":"t/1/blk"}}"""))
        {
            Assert.Equal("application/json", got.Content.Headers.ContentType!.MediaType);
            Assert.Equal(binary, await got.Content.ReadAsByteArrayAsync(Ct));
        }

        using (var got = await InvokeAsync(b, """{"operation":"get","metadata":{"key":"t/2"}}"""))
        {
            Assert.Equal("test", await got.Content.ReadAsStringAsync(Ct)); // No base64 decoding unless asked (unlike localstorage).
        }

        using (var encoded = await InvokeAsync(b, """{"operation":"get","metadata":{"key":"t/1/blk","encodeBase64":"true"}}"""))
        {
            Assert.Equal(Convert.ToBase64String(binary), await encoded.Content.ReadAsStringAsync(Ct));
        }

        using (var listed = await InvokeAsync(b, """{"operation":"list","data":{"prefix":"t/","delimiter":"/"}}"""))
        {
            using var body = JsonDocument.Parse(await listed.Content.ReadAsStringAsync(Ct));
            Assert.Equal("t/2", body.RootElement.GetProperty("Contents")[0].GetProperty("Key").GetString());
            Assert.Equal(4, body.RootElement.GetProperty("Contents")[0].GetProperty("Size").GetInt32());
            Assert.Equal("t/1/", body.RootElement.GetProperty("CommonPrefixes")[0].GetProperty("Prefix").GetString());
            Assert.Equal("profiles", body.RootElement.GetProperty("Name").GetString());
            Assert.False(body.RootElement.GetProperty("IsTruncated").GetBoolean());
        }

        using (var page = await InvokeAsync(b, """{"operation":"list","data":{"maxResults":1}}"""))
        {
            using var body = JsonDocument.Parse(await page.Content.ReadAsStringAsync(Ct));
            Assert.True(body.RootElement.GetProperty("IsTruncated").GetBoolean());
            Assert.Equal(1, body.RootElement.GetProperty("Contents").GetArrayLength());
        }

        using (var deleted = await InvokeAsync(a, """{"operation":"delete","metadata":{"key":"t/2"}}"""))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }

        using (var missing = await InvokeAsync(a, """{"operation":"get","metadata":{"key":"t/2"}}"""))
        {
            Assert.Equal(HttpStatusCode.InternalServerError, missing.StatusCode);
            using var body = JsonDocument.Parse(await missing.Content.ReadAsStringAsync(Ct));
            Assert.Equal("ERR_INVOKE_OUTPUT_BINDING", body.RootElement.GetProperty("errorCode").GetString());
            Assert.Contains("object not found", body.RootElement.GetProperty("message").GetString(), StringComparison.Ordinal);
        }
    }
}
