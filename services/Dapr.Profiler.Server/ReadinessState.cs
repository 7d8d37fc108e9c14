using Dapr.Profiler.Dapr;
using Dapr.Profiler.Metastore;

namespace Dapr.Profiler.Server;

/// <summary>
/// Ready once every hosted service has started and the metastore (when hosted here) has recovered its log, until
/// shutdown begins; under Dapr also only once the sidecar answered its outbound health check. Services hosted in
/// other processes are not waited for (their callers retry or fail with 503 while they are away); <c>GET /ready</c> answers 200 then and 503 otherwise.
/// </summary>
public sealed class ReadinessState(IServiceProvider services)
{
    private volatile bool _started;
    private volatile bool _stopping;

    public bool IsReady => _started && !_stopping
        && (services.GetService<MetastoreNode>()?.IsReady ?? true)
        && (services.GetService<DaprSidecarWaiter>()?.Ready.IsCompletedSuccessfully ?? true);

    public void Attach(IHostApplicationLifetime lifetime)
    {
        ArgumentNullException.ThrowIfNull(lifetime);
        lifetime.ApplicationStarted.Register(() => _started = true);
        lifetime.ApplicationStopping.Register(() => _stopping = true);
    }
}
