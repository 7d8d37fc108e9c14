using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Dapr.Profiler.DaprSidecar.Emulator.Tests;

/// <summary>A request as the test app saw it.</summary>
internal sealed record RecordedRequest(string Method, string Path, string Query, IReadOnlyDictionary<string, string> Headers, byte[] Body)
{
    public string Header(string name) => Headers.TryGetValue(name, out var value) ? value : string.Empty;

    public string BodyText => System.Text.Encoding.UTF8.GetString(Body);
}

/// <summary>A small app hosted with Kestrel on a free loopback port; records every request, then runs the handler.</summary>
internal sealed class TestApp : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private readonly WebApplication _host;
    private readonly List<RecordedRequest> _requests = [];
    private readonly Lock _gate = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private TestApp(WebApplication host) => _host = host;

    public int Port { get; private set; }

    public static async Task<TestApp> StartAsync(Func<HttpContext, RecordedRequest, Task> handler, int port = 0)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, port));
        var host = builder.Build();
        var app = new TestApp(host);
        host.Run(async context =>
        {
            using var buffer = new MemoryStream();
            await context.Request.Body.CopyToAsync(buffer);
            var recorded = new RecordedRequest(
                context.Request.Method,
                context.Request.Path.Value ?? string.Empty,
                context.Request.QueryString.Value ?? string.Empty,
                context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
                buffer.ToArray());
            app.Record(recorded);
            await handler(context, recorded);
        });
        await host.StartAsync(TestContext.Current.CancellationToken);
        app.Port = new Uri(host.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First()).Port;
        return app;
    }

    /// <summary>An app answering <c>/dapr/subscribe</c> with <paramref name="subscriptions"/> (JSON) and everything else with <paramref name="handler"/>.</summary>
    public static Task<TestApp> StartSubscriberAsync(string subscriptions, Func<HttpContext, RecordedRequest, Task> handler, int port = 0) =>
        StartAsync(
            async (context, request) =>
            {
                if (request.Path == "/dapr/subscribe")
                {
                    context.Response.ContentType = "application/json";
                    await context.Response.WriteAsync(subscriptions);
                    return;
                }

                await handler(context, request);
            },
            port);

    public IReadOnlyList<RecordedRequest> Requests
    {
        get
        {
            lock (_gate)
            {
                return [.. _requests];
            }
        }
    }

    /// <summary>Waits until at least <paramref name="count"/> recorded requests match.</summary>
    public async Task<IReadOnlyList<RecordedRequest>> WaitForAsync(Func<RecordedRequest, bool> match, int count = 1)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(Timeout);
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                var found = _requests.Where(match).ToList();
                if (found.Count >= count)
                {
                    return found;
                }

                changed = _changed.Task;
            }

            await changed.WaitAsync(timeout.Token);
        }
    }

    public Task<IReadOnlyList<RecordedRequest>> WaitForPathAsync(string path, int count = 1) => WaitForAsync(r => r.Path == path, count);

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync(CancellationToken.None);
        await _host.DisposeAsync();
    }

    private void Record(RecordedRequest request)
    {
        lock (_gate)
        {
            _requests.Add(request);
            var changed = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            changed.TrySetResult();
        }
    }

    /// <summary>A currently free loopback port (for an app that starts after its sidecar).</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}

/// <summary>A temporary directory removed afterwards.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = System.IO.Path.Join(System.IO.Path.GetTempPath(), "dapr-profiler-tests", "emulator-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }
}

internal static class HttpExtensions
{
    public static HttpClient ClientFor(this Sidecar sidecar, string? apiToken = null)
    {
        var client = new HttpClient { BaseAddress = sidecar.BaseAddress, Timeout = TestApp.Timeout };
        if (apiToken is not null)
        {
            client.DefaultRequestHeaders.Add("dapr-api-token", apiToken);
        }

        return client;
    }
}
