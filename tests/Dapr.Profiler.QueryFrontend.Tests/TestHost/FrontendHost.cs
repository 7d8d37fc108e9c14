using System.IO.Compression;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Dapr.Profiler.Mesh;
using Dapr.Profiler.Metastore.Client;
using Dapr.Profiler.TestKit;
using Google.Protobuf;
using Microsoft.Extensions.DependencyInjection;

namespace Dapr.Profiler.QueryFrontend.Tests;

/// <summary>
/// The query-frontend in a real Kestrel server on a free loopback port, with a recording metastore and a fake
/// query-backend method behind the in-process service invoker. Settings are <c>QueryFrontend:*</c> keys.
/// </summary>
internal sealed class FrontendHost : IAsyncDisposable
{
    private static readonly JsonParser Json = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(true));

    private readonly LoopbackApp _host;

    private FrontendHost(LoopbackApp host, FakeMetastore metastore, FakeQueryBackend backend)
    {
        _host = host;
        Metastore = metastore;
        Backend = backend;
    }

    public HttpClient Client => _host.Client;

    public FakeMetastore Metastore { get; }

    public FakeQueryBackend Backend { get; }

    public CapturingLoggerProvider Logs => _host.Logs;

    public static async Task<FrontendHost> StartAsync(IReadOnlyDictionary<string, string?>? settings = null)
    {
        var metastore = new FakeMetastore();
        var backend = new FakeQueryBackend();
        var registry = new ServiceMethodRegistry();
        backend.Register(registry);
        var host = await LoopbackApp.StartAsync(
            settings,
            builder =>
            {
                builder.Services.AddSingleton(registry);
                builder.Services.AddSingleton<IServiceInvoker, InProcessServiceInvoker>();
                builder.Services.AddSingleton<IMetastoreClient>(metastore);
                builder.Services.AddQueryFrontend(builder.Configuration);
            },
            app => app.MapQueryFrontendApi(),
            TestContext.Current.CancellationToken);
        return new FrontendHost(host, metastore, backend);
    }

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    /// <summary>Sends a request and returns the answer with its body decompressed when gzip-encoded.</summary>
    public async Task<Answer> SendAsync(HttpRequestMessage request)
    {
        using (request)
        using (var response = await Client.SendAsync(request, TestContext.Current.CancellationToken))
        {
            var raw = await response.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken);
            var gzip = response.Content.Headers.ContentEncoding.Contains("gzip");
            var body = gzip ? Gunzip(raw) : raw;
            string? code = null;
            string? message = null;
            if (response.StatusCode != System.Net.HttpStatusCode.OK && response.Content.Headers.ContentType?.MediaType == "application/json" && body.Length > 2)
            {
                using var doc = JsonDocument.Parse(body);
                code = doc.RootElement.GetProperty("code").GetString();
                message = doc.RootElement.GetProperty("message").GetString();
            }

            return new Answer((int)response.StatusCode, body, response.Content.Headers.ContentType?.MediaType, gzip, code, message, response);
        }
    }

    public Task<Answer> GetAsync(string url, string? tenant = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (tenant is not null)
        {
            request.Headers.Add("X-Scope-OrgID", tenant);
        }

        return SendAsync(request);
    }

    /// <summary>Posts a Connect unary call with a binary protobuf body.</summary>
    public Task<Answer> PostProtoAsync(string method, IMessage message, string? tenant = null, string contentType = "application/proto") =>
        SendAsync(Connect(method, message.ToByteArray(), contentType, tenant));

    /// <summary>Posts a Connect unary call with a protojson body.</summary>
    public Task<Answer> PostJsonAsync(string method, string json, string? tenant = null) =>
        SendAsync(Connect(method, Encoding.UTF8.GetBytes(json), "application/json", tenant));

    /// <summary>Calls a method in binary protobuf and parses the answer; fails on a non-200 status.</summary>
    public async Task<T> CallProtoAsync<T>(string method, IMessage message, string? tenant = null)
        where T : IMessage<T>, new()
    {
        var answer = await PostProtoAsync(method, message, tenant);
        Assert.True(answer.Status == 200, $"{method}: {answer.Status} {answer.Code} {answer.Message}");
        Assert.Equal("application/proto", answer.ContentType);
        return new MessageParser<T>(() => new T()).ParseFrom(answer.Body);
    }

    /// <summary>Calls a method in protojson and parses the answer; fails on a non-200 status.</summary>
    public async Task<T> CallJsonAsync<T>(string method, string json, string? tenant = null)
        where T : IMessage<T>, new()
    {
        var answer = await PostJsonAsync(method, json, tenant);
        Assert.True(answer.Status == 200, $"{method}: {answer.Status} {answer.Code} {answer.Message}");
        Assert.Equal("application/json", answer.ContentType);
        return Json.Parse<T>(Encoding.UTF8.GetString(answer.Body));
    }

    public static HttpRequestMessage Connect(string method, byte[] body, string contentType, string? tenant = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/querier.v1.QuerierService/" + method) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        if (tenant is not null)
        {
            request.Headers.Add("X-Scope-OrgID", tenant);
        }

        return request;
    }

    public static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal))
        {
            gzip.Write(data);
        }

        return output.ToArray();
    }

    private static byte[] Gunzip(byte[] data)
    {
        using var input = new GZipStream(new MemoryStream(data), CompressionMode.Decompress);
        using var output = new MemoryStream();
        input.CopyTo(output);
        return output.ToArray();
    }

    internal sealed record Answer(int Status, byte[] Body, string? ContentType, bool Gzipped, string? Code, string? Message, HttpResponseMessage Response)
    {
        public string Text => Encoding.UTF8.GetString(Body);
    }
}
