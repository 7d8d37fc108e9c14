using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace Dapr.Profiler.Distributor;

/// <summary>
/// A token bucket per tenant over received bytes (<see cref="DistributorOptions.IngestionRateBytesPerSecond"/>,
/// <see cref="DistributorOptions.IngestionBurstBytes"/>). A request is admitted while the bucket holds at least its
/// size, or holds a full burst when the request is bigger than the burst, so no request size is refused forever;
/// the bucket then goes into debt, which refills repay before the next request is admitted.
/// </summary>
/// <remarks>
/// With the global strategy the refill rate is the configured rate divided by the live distributors
/// (<see cref="DistributorRing.LiveMembers"/>), read at every request, so the limit holds for the cluster. A bucket
/// whose refills since its last use have made it full again (debts repaid) is evicted: it would be full again, which
/// is exactly what a new bucket is, so eviction changes no answer while a stream of new tenant ids cannot grow memory.
/// </remarks>
public sealed class IngestRateLimiter
{
    /// <summary>How often idle buckets are looked for (at most; the sweep runs on a request).</summary>
    internal static readonly TimeSpan SweepInterval = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<string, Bucket> _buckets = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly DistributorRing? _ring;
    private readonly double _rate;
    private readonly double _burst;
    private readonly bool _global;
    private long _lastSweep;

    public IngestRateLimiter(IOptions<DistributorOptions> options, TimeProvider time, DistributorRing? ring = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        _time = time;
        _ring = ring;
        _rate = options.Value.IngestionRateBytesPerSecond;
        _burst = options.Value.IngestionBurstBytes;
        _global = options.Value.IngestionRateStrategy == IngestionRateStrategy.Global;
        _lastSweep = time.GetTimestamp();
    }

    /// <summary>Whether limiting is on (a rate of 0 turns it off).</summary>
    public bool Enabled => _rate > 0;

    /// <summary>The rate this distributor admits per tenant now, in bytes per second.</summary>
    public double LocalRate => _global && _ring is not null ? _rate / Math.Max(1, _ring.LiveMembers) : _rate;

    /// <summary>Tenants with a bucket (idle ones are evicted).</summary>
    public int TrackedTenants => _buckets.Count;

    /// <summary>Takes <paramref name="bytes"/> from the tenant's bucket.</summary>
    /// <exception cref="IngestRejectedException">The tenant is over its rate (<see cref="RejectionReason.RateLimited"/>).</exception>
    public void Acquire(string tenant, long bytes)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        if (!Enabled || bytes <= 0)
        {
            return;
        }

        var rate = LocalRate;
        var now = _time.GetTimestamp();
        SweepIdle(now, rate);
        var bucket = _buckets.GetOrAdd(tenant, static (_, s) => new Bucket(s.Burst, s.Now), (Burst: _burst, Now: now));
        if (!bucket.TryTake(bytes, rate, _burst, _time))
        {
            var shared = _global && _ring is { LiveMembers: > 1 } ring ? $", shared by {ring.LiveMembers} distributors" : string.Empty;
            throw new IngestRejectedException(
                RejectionReason.RateLimited,
                $"ingestion rate limit ({_rate:0} bytes/s{shared}, burst {_burst:0} bytes) reached for tenant '{tenant}' while pushing a request of {bytes} bytes; " +
                $"see {DistributorOptions.Key(nameof(DistributorOptions.IngestionRateBytesPerSecond))} and {DistributorOptions.Key(nameof(DistributorOptions.IngestionBurstBytes))}",
                DistributorOptions.Key(nameof(DistributorOptions.IngestionRateBytesPerSecond)));
        }
    }

    private void SweepIdle(long now, double rate)
    {
        var last = Interlocked.Read(ref _lastSweep);
        if (_time.GetElapsedTime(last, now) < SweepInterval || Interlocked.CompareExchange(ref _lastSweep, now, last) != last)
        {
            return;
        }

        foreach (var (tenant, bucket) in _buckets)
        {
            if (bucket.WouldBeFull(now, rate, _burst, _time))
            {
                _buckets.TryRemove(new KeyValuePair<string, Bucket>(tenant, bucket));
            }
        }
    }

    private sealed class Bucket(double tokens, long timestamp)
    {
        private readonly Lock _lock = new();
        private double _tokens = tokens;
        private long _timestamp = timestamp;

        /// <summary>Whether the refills since the last use have made the bucket full (debts included).</summary>
        public bool WouldBeFull(long now, double rate, double burst, TimeProvider time)
        {
            lock (_lock)
            {
                return _tokens + (time.GetElapsedTime(_timestamp, now).TotalSeconds * rate) >= burst;
            }
        }

        public bool TryTake(long bytes, double rate, double burst, TimeProvider time)
        {
            lock (_lock)
            {
                var now = time.GetTimestamp();
                var elapsed = time.GetElapsedTime(_timestamp, now).TotalSeconds;
                _timestamp = now;
                if (elapsed > 0)
                {
                    _tokens = Math.Min(burst, _tokens + (elapsed * rate));
                }

                if (_tokens < Math.Min(bytes, burst))
                {
                    return false;
                }

                _tokens -= bytes;
                return true;
            }
        }
    }
}
