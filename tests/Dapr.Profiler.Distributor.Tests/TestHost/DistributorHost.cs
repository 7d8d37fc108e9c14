using System.Text.Json;
using Dapr.Profiler.SegmentWriter;
using Dapr.Profiler.TestKit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Dapr.Profiler.Distributor.Tests;

/// <summary>
/// The distributor in a real Kestrel server on a free loopback port, with a recording segment-writer. Settings are
/// <c>Distributor:*</c> configuration keys.
/// </summary>
internal sealed class DistributorHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private DistributorHost(WebApplication app, HttpClient client, RecordingSegmentWriter writer, CapturingLoggerProvider logs)
    {
        _app = app;
        Client = client;
        Writer = writer;
        Logs = logs;
    }

    public HttpClient Client { get; }

    public RecordingSegmentWriter Writer { get; }

    public CapturingLoggerProvider Logs { get; }

    public IServiceProvider Services => _app.Services;

    public static async Task<DistributorHost> StartAsync(IReadOnlyDictionary<string, string?>? settings = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Configuration.AddInMemoryCollection(settings ?? new Dictionary<string, string?>());
        var logs = new CapturingLoggerProvider();
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Debug);
        builder.Logging.AddProvider(logs);
        var writer = new RecordingSegmentWriter();
        builder.Services.AddSingleton<ISegmentWriterClient>(writer);
        builder.Services.AddDistributor(builder.Configuration);

        var app = builder.Build();
        app.MapDistributorApi();
        await app.StartAsync(TestContext.Current.CancellationToken);
        var addresses = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses;
        var client = new HttpClient { BaseAddress = new Uri(addresses.Single()) };
        return new DistributorHost(app, client, writer, logs);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

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
