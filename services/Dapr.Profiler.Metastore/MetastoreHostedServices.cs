using Dapr.Profiler.ObjectStorage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Dapr.Profiler.Metastore;

/// <summary>
/// Starts the node's recovery with the host (without blocking it: <see cref="MetastoreNode.Ready"/> and the
/// <c>ready</c>-tagged health check tell when it serves) and closes the log when the host stops. A node that cannot
/// recover stops the host with exit code 1 rather than serving an index that may miss acknowledged blocks.
/// </summary>
internal sealed class MetastoreHostedService(
    MetastoreNode node, IHostApplicationLifetime lifetime, ILogger<MetastoreHostedService> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        node.Start();
        _ = node.Ready.ContinueWith(
            ready =>
            {
                // The node logged why; an Unavailable fault only means it was stopped before it recovered.
                if (ready.IsFaulted && ready.Exception?.InnerException is not MetastoreUnavailableException)
                {
                    logger.StoppingAfterRecoveryFailure();
                    Environment.ExitCode = 1;
                    lifetime.StopApplication();
                }
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken) => await node.DisposeAsync();
}

/// <summary>Runs <see cref="DlqRecovery"/> once the node is ready, then every <see cref="MetastoreOptions.DlqRecoveryInterval"/>.</summary>
internal sealed class DlqRecoveryService(
    MetastoreNode node, IServiceProvider services, IOptions<MetastoreOptions> options, ILogger<DlqRecoveryService> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.DlqRecoveryEnabled)
        {
            return;
        }

        if (services.GetService<IObjectStore>() is not { } store)
        {
            logger.DlqNoObjectStore();
            return;
        }

        try
        {
            await node.Ready.WaitAsync(stoppingToken);
        }
        catch (Exception)
        {
            return; // stopping, or recovery failed (the hosted service stops the host)
        }

        var interval = options.Value.DlqRecoveryInterval;
        var recovery = new DlqRecovery(node, store, logger);
        using var timer = new PeriodicTimer(interval);
        try
        {
            do
            {
                try
                {
                    await recovery.RecoverOnceAsync(stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                {
                    logger.DlqPassFailed(ex, interval);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // stopping
        }
    }
}

/// <summary>Healthy once the node has recovered and serves (tagged <c>ready</c> for the readiness endpoint).</summary>
internal sealed class MetastoreReadinessCheck(MetastoreNode node) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken) =>
        Task.FromResult(node.IsReady
            ? HealthCheckResult.Healthy($"{node.BlockCount} blocks indexed")
            : node.Ready.IsFaulted
                ? HealthCheckResult.Unhealthy("the metastore failed to recover", node.Ready.Exception?.InnerException)
                : HealthCheckResult.Unhealthy("the metastore is recovering"));
}
