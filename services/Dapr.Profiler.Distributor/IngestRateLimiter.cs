using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace Dapr.Profiler.Distributor;

/// <summary>
/// A token bucket per tenant over received bytes (<see cref="DistributorOptions.IngestionRateBytesPerSecond"/>,
/// <see cref="DistributorOptions.IngestionBurstBytes"/>). A request is admitted while the bucket holds at least its
/// size, or holds a full burst when the request is bigger than the burst, so no request size is refused forever;
/// the bucket then goes into debt, which refills repay before the next request is admitted.
/// </summary>
public sealed class IngestRateLimiter
{
    private readonly ConcurrentDictionary<string, Bucket> _buckets = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly double _rate;
    private readonly double _burst;

    public IngestRateLimiter(IOptions<DistributorOptions> options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        _time = time;
        _rate = options.Value.IngestionRateBytesPerSecond;
        _burst = options.Value.IngestionBurstBytes;
    }

    /// <summary>Whether limiting is on (a rate of 0 turns it off).</summary>
    public bool Enabled => _rate > 0;

    /// <summary>Takes <paramref name="bytes"/> from the tenant's bucket.</summary>
    /// <exception cref="IngestRejectedException">The tenant is over its rate (<see cref="RejectionReason.RateLimited"/>).</exception>
    public void Acquire(string tenant, long bytes)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        if (!Enabled || bytes <= 0)
        {
            return;
        }

        var bucket = _buckets.GetOrAdd(tenant, static (_, s) => new Bucket(s._burst, s._time.GetTimestamp()), this);
        if (!bucket.TryTake(bytes, _rate, _burst, _time))
        {
            throw new IngestRejectedException(
                RejectionReason.RateLimited,
                $"ingestion rate limit ({_rate:0} bytes/s, burst {_burst:0} bytes) reached for tenant '{tenant}' while pushing a request of {bytes} bytes; " +
                $"see {DistributorOptions.Key(nameof(DistributorOptions.IngestionRateBytesPerSecond))} and {DistributorOptions.Key(nameof(DistributorOptions.IngestionBurstBytes))}",
                DistributorOptions.Key(nameof(DistributorOptions.IngestionRateBytesPerSecond)));
        }
    }

    private sealed class Bucket(double tokens, long timestamp)
    {
        private readonly Lock _lock = new();
        private double _tokens = tokens;
        private long _timestamp = timestamp;

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
