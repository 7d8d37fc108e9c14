using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Dapr.Profiler.Dapr.Tests;

/// <summary>A Kestrel host on 127.0.0.1 with a port the OS picks, for the tests' fake sidecars and apps.</summary>
internal sealed class TestHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TestHost(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    public Uri Address { get; }

    public IServiceProvider Services => _app.Services;

    public static async Task<TestHost> StartAsync(Action<WebApplication> configure, Action<IServiceCollection>? services = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        services?.Invoke(builder.Services);
        var app = builder.Build();
        configure(app);
        await app.StartAsync(TestContext.Current.CancellationToken);
        return new TestHost(app, new Uri(app.Urls.Single()));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
    }
}

/// <summary>A request the fake sidecar received.</summary>
internal sealed record RecordedRequest(string Method, string Path, string Query, IReadOnlyDictionary<string, string> Headers, string? ContentType, byte[] Body);

/// <summary>
/// A fake Dapr sidecar: records every request and answers with the test's handler (or 204). It is only as faithful
/// as each test's handler; the answers follow reference/dapr-protocol.md.
/// </summary>
internal sealed class FakeSidecar : IAsyncDisposable
{
    private TestHost? _host;

    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();

    public Func<HttpContext, RecordedRequest, Task> Handler { get; set; } = (context, _) =>
    {
        context.Response.StatusCode = StatusCodes.Status204NoContent;
        return Task.CompletedTask;
    };

    public Uri Address => _host!.Address;

    public static async Task<FakeSidecar> StartAsync()
    {
        var sidecar = new FakeSidecar();
        sidecar._host = await TestHost.StartAsync(app => app.Run(sidecar.HandleAsync));
        return sidecar;
    }

    public DaprClient CreateClient(string? apiToken = "sidecar-secret", TimeSpan? healthTimeout = null)
    {
        var options = new DaprOptions { HttpPort = Address.Port, ApiToken = apiToken };
        if (healthTimeout is { } timeout)
        {
            options.HealthTimeout = timeout;
            options.HealthPollInterval = TimeSpan.FromMilliseconds(10);
        }

        return new DaprClient(new HttpClient(), options);
    }

    public async ValueTask DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
        var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        var recorded = new RecordedRequest(
            context.Request.Method,
            context.Request.Path.Value ?? string.Empty,
            context.Request.QueryString.Value ?? string.Empty,
            headers,
            context.Request.ContentType,
            buffer.ToArray());
        Requests.Enqueue(recorded);
        await Handler(context, recorded);
    }
}

internal static class HttpContextExtensions
{
    public static Task AnswerJsonAsync(this HttpContext context, int status, string json)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(json, context.RequestAborted);
    }
}
