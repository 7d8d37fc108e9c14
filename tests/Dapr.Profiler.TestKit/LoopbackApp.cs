using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Dapr.Profiler.TestKit;

/// <summary>
/// An ASP.NET app in a real Kestrel server on a free loopback port, with captured logs and a client pointed at it:
/// what every test host of one service needs.
/// </summary>
public sealed class LoopbackApp : IAsyncDisposable
{
    private LoopbackApp(WebApplication app, HttpClient client, CapturingLoggerProvider logs)
    {
        App = app;
        Client = client;
        Logs = logs;
    }

    public WebApplication App { get; }

    public HttpClient Client { get; }

    public CapturingLoggerProvider Logs { get; }

    /// <param name="settings">Configuration keys, e.g. <c>Distributor:MaxRequestBodyBytes</c>.</param>
    /// <param name="configure">Registers the services under test.</param>
    /// <param name="map">Maps their endpoints.</param>
    /// <param name="cancellationToken">Stops waiting for the start.</param>
    public static async Task<LoopbackApp> StartAsync(
        IReadOnlyDictionary<string, string?>? settings,
        Action<WebApplicationBuilder> configure,
        Action<WebApplication> map,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(configure);
        ArgumentNullException.ThrowIfNull(map);
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Configuration.AddInMemoryCollection(settings ?? new Dictionary<string, string?>());
        var logs = new CapturingLoggerProvider();
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Debug);
        builder.Logging.AddProvider(logs);
        configure(builder);

        var app = builder.Build();
        map(app);
        await app.StartAsync(cancellationToken);
        var addresses = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses;
        return new LoopbackApp(app, new HttpClient { BaseAddress = new Uri(addresses.Single()) }, logs);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
