using System.Net;
using System.Text;
using System.Text.Json;

namespace Dapr.Profiler.DaprSidecar.Emulator.Tests;

public sealed class LocalStorageTests : IDisposable
{
    private readonly TempDirectory _root = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _root.Dispose();

    private async Task<SidecarCluster> StartAsync()
    {
        var cluster = await SidecarCluster.StartAsync(new SidecarClusterOptions
        {
            Apps = [new SidecarApp { AppId = "a" }],
            LocalStorageBindings = new Dictionary<string, string> { ["files"] = Path.Join(_root.Path, "store") },
        }, Ct);
        await cluster.WaitForAppsAsync(Ct);
        return cluster;
    }

    private static async Task<HttpResponseMessage> InvokeAsync(HttpClient client, string json, string binding = "files") =>
        await client.PostAsync($"/v1.0/bindings/{binding}", new StringContent(json, Encoding.UTF8, "application/json"), Ct);

    private static async Task AssertErrorAsync(HttpResponseMessage response, HttpStatusCode status, string errorCode)
    {
        Assert.Equal(status, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal(errorCode, body.RootElement.GetProperty("errorCode").GetString());
    }

    [Fact]
    public async Task Create_get_list_delete_round_trip()
    {
        await using var cluster = await StartAsync();
        using var client = cluster["a"].ClientFor();
        var store = Path.Join(_root.Path, "store");

        using (var created = await InvokeAsync(client, """{"operation":"create","data":"hello world!","metadata":{"fileName":"dir/one.txt"}}"""))
        {
            Assert.Equal(HttpStatusCode.OK, created.StatusCode);
            using var body = JsonDocument.Parse(await created.Content.ReadAsStringAsync(Ct));
            Assert.Equal("dir/one.txt", body.RootElement.GetProperty("fileName").GetString());
        }

        Assert.Equal("hello world!", await File.ReadAllTextAsync(Path.Join(store, "dir", "one.txt"), Ct));

        using (var got = await InvokeAsync(client, """{"operation":"get","metadata":{"fileName":"dir/one.txt"}}"""))
        {
            Assert.Equal(HttpStatusCode.OK, got.StatusCode);
            Assert.Equal("application/json", got.Content.Headers.ContentType!.MediaType);
            Assert.Equal("hello world!", await got.Content.ReadAsStringAsync(Ct));
        }

        string generated;
        using (var unnamed = await InvokeAsync(client, """{"operation":"create","data":"x y"}"""))
        {
            using var body = JsonDocument.Parse(await unnamed.Content.ReadAsStringAsync(Ct));
            generated = body.RootElement.GetProperty("fileName").GetString()!;
            Assert.True(Guid.TryParse(generated, out _));
        }

        using (var listed = await InvokeAsync(client, """{"operation":"list"}"""))
        {
            Assert.Equal(HttpStatusCode.OK, listed.StatusCode);
            var paths = JsonSerializer.Deserialize<string[]>(await listed.Content.ReadAsStringAsync(Ct))!;
            Assert.Equal(new[] { Path.Join(store, "dir", "one.txt"), Path.Join(store, generated) }.Order(StringComparer.Ordinal), paths);
            Assert.All(paths, p => Assert.True(Path.IsPathRooted(p)));
        }

        using (var listedDir = await InvokeAsync(client, """{"operation":"list","metadata":{"fileName":"dir"}}"""))
        {
            Assert.Equal([Path.Join(store, "dir", "one.txt")], JsonSerializer.Deserialize<string[]>(await listedDir.Content.ReadAsStringAsync(Ct))!);
        }

        using (var deleted = await InvokeAsync(client, """{"operation":"delete","metadata":{"fileName":"dir/one.txt"}}"""))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }

        using (var missing = await InvokeAsync(client, """{"operation":"get","metadata":{"fileName":"dir/one.txt"}}"""))
        {
            await AssertErrorAsync(missing, HttpStatusCode.InternalServerError, "ERR_INVOKE_OUTPUT_BINDING");
        }

        using (var missingDelete = await InvokeAsync(client, """{"operation":"delete","metadata":{"fileName":"dir/one.txt"}}"""))
        {
            await AssertErrorAsync(missingDelete, HttpStatusCode.InternalServerError, "ERR_INVOKE_OUTPUT_BINDING");
        }
    }

    [Fact]
    public async Task Create_always_tries_base64_first()
    {
        await using var cluster = await StartAsync();
        using var client = cluster["a"].ClientFor();
        var store = Path.Join(_root.Path, "store");
        byte[] binary = [0, 159, 146, 150, 255];

        using (await InvokeAsync(client, $$$"""{"operation":"create","data":"{{{Convert.ToBase64String(binary)}}}","metadata":{"fileName":"bin"}}"""))
        {
        }

        using (await InvokeAsync(client, """{"operation":"create","data":"test","metadata":{"fileName":"quirk"}}"""))
        {
        }

        using (await InvokeAsync(client, """{"operation":"create","data":"abc","metadata":{"fileName":"text"}}"""))
        {
        }

        Assert.Equal(binary, await File.ReadAllBytesAsync(Path.Join(store, "bin"), Ct));
        Assert.Equal(Convert.FromBase64String("test"), await File.ReadAllBytesAsync(Path.Join(store, "quirk"), Ct));
        Assert.Equal("abc", await File.ReadAllTextAsync(Path.Join(store, "text"), Ct));

        using var got = await InvokeAsync(client, """{"operation":"get","metadata":{"fileName":"bin"}}""");
        Assert.Equal("application/json", got.Content.Headers.ContentType!.MediaType);
        Assert.Equal(binary, await got.Content.ReadAsByteArrayAsync(Ct));
    }

    [Fact]
    public async Task Non_string_data_is_stored_as_go_encoded_json()
    {
        await using var cluster = await StartAsync();
        using var client = cluster["a"].ClientFor();
        using (await InvokeAsync(client, """{"operation":"create","data":{ "z": 1.0, "a": "<&>", "m": [1e21, 0.0000001] },"metadata":{"fileName":"obj.json"}}"""))
        {
        }

        Assert.Equal(
            """{"a":"\u003c\u0026\u003e","m":[1e+21,1e-7],"z":1}""",
            await File.ReadAllTextAsync(Path.Join(_root.Path, "store", "obj.json"), Ct));
    }

    [Fact]
    public async Task File_names_cannot_escape_the_root()
    {
        await using var cluster = await StartAsync();
        using var client = cluster["a"].ClientFor();
        using (await InvokeAsync(client, """{"operation":"create","data":"x y","metadata":{"fileName":"../../outside.txt"}}"""))
        {
        }

        Assert.True(File.Exists(Path.Join(_root.Path, "store", "outside.txt")));
        Assert.False(File.Exists(Path.Join(_root.Path, "outside.txt")));
    }

    [Fact]
    public async Task Binding_errors_follow_daprd()
    {
        await using var cluster = await StartAsync();
        using var client = cluster["a"].ClientFor();
        using (var unknown = await InvokeAsync(client, """{"operation":"get"}""", "nope"))
        {
            await AssertErrorAsync(unknown, HttpStatusCode.InternalServerError, "ERR_INVOKE_OUTPUT_BINDING");
        }

        using (var noOperation = await InvokeAsync(client, """{"data":"x"}"""))
        {
            await AssertErrorAsync(noOperation, HttpStatusCode.InternalServerError, "ERR_INVOKE_OUTPUT_BINDING");
        }

        using (var unsupported = await InvokeAsync(client, """{"operation":"presign"}"""))
        {
            await AssertErrorAsync(unsupported, HttpStatusCode.InternalServerError, "ERR_INVOKE_OUTPUT_BINDING");
        }

        using (var malformed = await InvokeAsync(client, "{not json"))
        {
            await AssertErrorAsync(malformed, HttpStatusCode.BadRequest, "ERR_MALFORMED_REQUEST");
        }
    }

    [Fact]
    public void Go_float_formatting()
    {
        Assert.Equal("1", GoJson.FormatFloat(1.0));
        Assert.Equal("0.000001", GoJson.FormatFloat(1e-6));
        Assert.Equal("1e-7", GoJson.FormatFloat(1e-7));
        Assert.Equal("1e+21", GoJson.FormatFloat(1e21));
        Assert.Equal("100000000000000000000", GoJson.FormatFloat(1e20));
        Assert.Equal("-2.5", GoJson.FormatFloat(-2.5));
        Assert.Equal("0", GoJson.FormatFloat(0));
    }
}
