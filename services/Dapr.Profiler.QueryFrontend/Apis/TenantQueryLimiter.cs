using Dapr.Profiler.Mesh;
using Microsoft.Extensions.Options;

namespace Dapr.Profiler.QueryFrontend;

/// <summary>
/// Counts the queries each tenant is running on this query-frontend and refuses one more than
/// <see cref="QueryFrontendOptions.MaxConcurrentQueriesPerTenant"/> with RESOURCE_EXHAUSTED at once (no queueing), so
/// one tenant cannot take every worker; other tenants are not affected. A tenant's entry is removed when its last
/// query ends, so tenants that stop querying leave nothing behind.
/// </summary>
public sealed class TenantQueryLimiter
{
    private readonly Dictionary<string, int> _running = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private readonly int _limit;

    public TenantQueryLimiter(IOptions<QueryFrontendOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _limit = options.Value.MaxConcurrentQueriesPerTenant;
    }

    /// <summary>The number of tenants with a running query (tenants without one have no entry).</summary>
    public int TenantsRunning
    {
        get
        {
            lock (_gate)
            {
                return _running.Count;
            }
        }
    }

    /// <summary>Starts one query of <paramref name="tenant"/>; dispose the result when it ends.</summary>
    /// <exception cref="ServiceException">RESOURCE_EXHAUSTED: the tenant already runs the most queries allowed.</exception>
    public IDisposable Enter(string tenant)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        if (_limit <= 0)
        {
            return Lease.None;
        }

        lock (_gate)
        {
            var running = _running.GetValueOrDefault(tenant);
            if (running >= _limit)
            {
                throw new ServiceException(
                    ServiceStatus.ResourceExhausted,
                    $"tenant {tenant} already runs {running} queries; the limit is {QueryFrontendOptions.Key(nameof(QueryFrontendOptions.MaxConcurrentQueriesPerTenant))} = {_limit}: retry when one has finished");
            }

            _running[tenant] = running + 1;
        }

        return new Lease(this, tenant);
    }

    private void Exit(string tenant)
    {
        lock (_gate)
        {
            var running = _running.GetValueOrDefault(tenant) - 1;
            if (running <= 0)
            {
                _running.Remove(tenant);
            }
            else
            {
                _running[tenant] = running;
            }
        }
    }

    private sealed class Lease(TenantQueryLimiter? limiter, string tenant) : IDisposable
    {
        public static readonly Lease None = new(null, string.Empty);

        private int _disposed;

        public void Dispose()
        {
            if (limiter is not null && Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                limiter.Exit(tenant);
            }
        }
    }
}
