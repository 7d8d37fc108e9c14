using System.Net;
using System.Text;
using System.Text.Json;
using Dapr.Profiler.TestKit;

namespace Dapr.Profiler.DaprSidecar.Emulator.Tests;

/// <summary>An s3rver (a real S3-protocol server) with the bucket <c>profiles</c>, shared by the tests of a class.</summary>
public sealed class S3rverBackend : IAsyncLifetime
{
    public const string Bucket = "profiles";

    private S3rverServer? _server;

    public S3rverServer Server => _server ?? throw new InvalidOperationException("s3rver is not started");

    /// <summary>Binding options on the s3rver bucket.</summary>
    public S3BindingOptions Options() => new()
    {
        Bucket = Bucket,
        Endpoint = Server.Endpoint,
        AccessKey = Server.AccessKey,
        SecretKey = Server.SecretKey,
    };

    public async ValueTask InitializeAsync() => _server = await S3rverServer.StartAsync(Bucket, TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}

/// <summary>The s3 binding against s3rver (as required) and, cheaply, its in-memory variant.</summary>
public sealed class S3BindingTests(S3rverBackend s3rver) : IClassFixture<S3rverBackend>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<SidecarCluster> StartAsync(bool onS3rver)
    {
        var cluster = await SidecarCluster.StartAsync(new SidecarClusterOptions
        {
            Apps = [new SidecarApp { AppId = "a" }, new SidecarApp { AppId = "b" }],
            S3Bindings = new Dictionary<string, S3BindingOptions>
            {
                ["blocks"] = onS3rver ? s3rver.Options() : new() { Bucket = S3rverBackend.Bucket },
            },
        }, Ct);
        await cluster.WaitForAppsAsync(Ct);
        return cluster;
    }

    private static async Task<HttpResponseMessage> InvokeAsync(HttpClient client, string json) =>
        await client.PostAsync("/v1.0/bindings/blocks", new StringContent(json, Encoding.UTF8, "application/json"), Ct);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Create_get_list_delete_with_base64_flags_shared_across_sidecars(bool onS3rver)
    {
        await using var cluster = await StartAsync(onS3rver);
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

    [Fact]
    public async Task On_s3rver_objects_live_in_the_server_and_list_pages_with_marker()
    {
        await using var cluster = await StartAsync(onS3rver: true);
        using var a = cluster["a"].ClientFor();
        var prefix = "m-" + Guid.NewGuid().ToString("N")[..8] + "/";
        foreach (var name in new[] { "c", "a", "b" })
        {
            using var created = await InvokeAsync(a, $$$"""{"operation":"create","data":"{{{name}}}{{{name}}}","metadata":{"key":"{{{prefix}}}{{{name}}}"}}""");
            Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        }

        // The object is in s3rver itself, not in the emulator.
        using (var raw = new Amazon.S3.AmazonS3Client(
                   new Amazon.Runtime.BasicAWSCredentials(s3rver.Server.AccessKey, s3rver.Server.SecretKey),
                   new Amazon.S3.AmazonS3Config { ServiceURL = s3rver.Server.Endpoint, ForcePathStyle = true, AuthenticationRegion = "us-east-1" }))
        {
            using var response = await raw.GetObjectAsync(S3rverBackend.Bucket, prefix + "b", Ct);
            using var reader = new StreamReader(response.ResponseStream);
            Assert.Equal("bb", await reader.ReadToEndAsync(Ct));
        }

        var keys = new List<string>();
        var marker = string.Empty;
        for (var page = 0; page < 10; page++)
        {
            using var listed = await InvokeAsync(a, $$$"""{"operation":"list","data":{"prefix":"{{{prefix}}}","marker":"{{{marker}}}","maxResults":2}}""");
            Assert.Equal(HttpStatusCode.OK, listed.StatusCode);
            using var body = JsonDocument.Parse(await listed.Content.ReadAsStringAsync(Ct));
            foreach (var item in body.RootElement.GetProperty("Contents").EnumerateArray())
            {
                keys.Add(item.GetProperty("Key").GetString()!);
                Assert.Equal(2, item.GetProperty("Size").GetInt64());
                Assert.StartsWith("\"", item.GetProperty("ETag").GetString(), StringComparison.Ordinal);
                Assert.True(DateTimeOffset.TryParse(item.GetProperty("LastModified").GetString(), System.Globalization.CultureInfo.InvariantCulture, out _));
            }

            if (!body.RootElement.GetProperty("IsTruncated").GetBoolean())
            {
                break;
            }

            marker = keys[^1];
        }

        Assert.Equal([prefix + "a", prefix + "b", prefix + "c"], keys);
    }
}
