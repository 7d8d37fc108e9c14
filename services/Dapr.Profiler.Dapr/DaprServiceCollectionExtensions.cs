using Dapr.Profiler.Mesh;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Dapr.Profiler.Dapr;

/// <summary>Registers the Dapr implementation of the mesh contracts.</summary>
public static class DaprServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="DaprOptions"/> (read from <paramref name="configuration"/>), <see cref="DaprClient"/> as a
    /// typed <see cref="HttpClient"/> to the sidecar, <see cref="IServiceInvoker"/> = <see cref="DaprServiceInvoker"/>,
    /// <see cref="IPublisher"/> = <see cref="DaprPublisher"/>, and <see cref="DaprSidecarWaiter"/>, a hosted
    /// service that waits for the sidecar's outbound health at start. The app side (subscriptions, token check) is
    /// mapped separately: <see cref="DaprSubscriptionEndpoints.MapDaprSubscriptions"/>,
    /// <see cref="DaprAppTokenMiddleware.UseDaprAppToken"/>.
    /// </summary>
    public static IServiceCollection AddDaprMesh(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        var options = DaprOptions.FromConfiguration(configuration);
        services.TryAddSingleton(options);
        services.AddHttpClient<DaprClient>((provider, http) =>
            {
                http.BaseAddress = provider.GetRequiredService<DaprOptions>().HttpEndpoint;

                // Dapr sets no timeout on invocation; callers bound their calls with cancellation tokens.
                http.Timeout = Timeout.InfiniteTimeSpan;
            })
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan);
        services.AddSingleton<DaprServiceInvoker>();
        services.AddSingleton<DaprPublisher>();
        services.AddSingleton<IServiceInvoker>(provider => provider.GetRequiredService<DaprServiceInvoker>());
        services.AddSingleton<IPublisher>(provider => provider.GetRequiredService<DaprPublisher>());
        services.AddSingleton<DaprSidecarWaiter>();
        services.AddHostedService(provider => provider.GetRequiredService<DaprSidecarWaiter>());
        return services;
    }
}

/// <summary>
/// Waits at start until the sidecar's outbound API is ready (<c>GET /v1.0/healthz/outbound</c> = 204, at most
/// <c>DAPR_HEALTH_TIMEOUT</c>). It does not hold up the host's start, because daprd itself waits for the app's port
/// before it completes its own start; <see cref="Ready"/> completes when the sidecar is ready and faults when the
/// deadline passes (which is also logged).
/// </summary>
public sealed class DaprSidecarWaiter(DaprClient client, ILogger<DaprSidecarWaiter> logger) : BackgroundService
{
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes once the sidecar answered its outbound health check.</summary>
    public Task Ready => _ready.Task;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await client.WaitForSidecarAsync(stoppingToken);
            Log.SidecarReady(logger, client.Options.HttpEndpoint);
            _ready.TrySetResult();
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            _ready.TrySetCanceled(stoppingToken);
        }
        catch (ServiceException ex)
        {
            Log.SidecarNotReady(logger, ex);
            _ready.TrySetException(ex);
        }
    }
}
