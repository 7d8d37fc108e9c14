using System.Text.Json;
using Dapr.Profiler.SegmentWriter;
using Dapr.Profiler.TestKit;
using Microsoft.Extensions.DependencyInjection;

namespace Dapr.Profiler.Distributor.Tests;

/// <summary>
/// The distributor in a real Kestrel server on a free loopback port, with a recording segment-writer. Settings are
/// <c>Distributor:*</c> configuration keys.
/// </summary>
internal sealed class DistributorHost : IAsyncDisposable
{
    private readonly LoopbackApp _host;

    private DistributorHost(LoopbackApp host, RecordingSegmentWriter writer, RecordingPublisher publisher)
    {
        _host = host;
        Writer = writer;
        Publisher = publisher;
    }

    public HttpClient Client => _host.Client;

    public RecordingSegmentWriter Writer { get; }

    public RecordingPublisher Publisher { get; }

    public CapturingLoggerProvider Logs => _host.Logs;

    public IServiceProvider Services => _host.App.Services;

    public static async Task<DistributorHost> StartAsync(IReadOnlyDictionary<string, string?>? settings = null)
    {
        var writer = new RecordingSegmentWriter();
        var publisher = new RecordingPublisher();
        var host = await LoopbackApp.StartAsync(
            settings,
            builder =>
            {
                builder.Services.AddSingleton<ISegmentWriterClient>(writer);
                builder.Services.AddSingleton<Mesh.IPublisher>(publisher);
                builder.Services.AddDistributor(builder.Configuration);
            },
            app => app.MapDistributorApi(),
            TestContext.Current.CancellationToken);
        return new DistributorHost(host, writer, publisher);
    }

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    /// <summary>Posts and returns the status, the body and, for errors, the Connect code and message.</summary>
    public async Task<Answer> SendAsync(HttpRequestMessage request)
    {
        using (request)
        using (var response = await Client.SendAsync(request, TestContext.Current.CancellationToken))
        {
            var body = await response.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken);
            string? code = null;
            string? message = null;
            if (response.Content.Headers.ContentType?.MediaType == "application/json" && body.Length > 2)
            {
                using var doc = JsonDocument.Parse(body);
                code = doc.RootElement.TryGetProperty("code", out var c) ? c.GetString() : null;
                message = doc.RootElement.TryGetProperty("message", out var m) ? m.GetString() : null;
            }

            return new Answer((int)response.StatusCode, body, response.Content.Headers.ContentType?.MediaType, code, message);
        }
    }

    internal sealed record Answer(int Status, byte[] Body, string? ContentType, string? Code, string? Message);
}
