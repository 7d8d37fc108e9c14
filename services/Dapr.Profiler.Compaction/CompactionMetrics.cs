using System.Collections.Concurrent;

namespace Dapr.Profiler.Compaction;

/// <summary>Counters of compaction for <c>/metrics</c>: jobs by level and state, time to first compaction, deletions.</summary>
public sealed class CompactionMetrics
{
    /// <summary>How many recent time-to-first-compaction samples the median is taken over.</summary>
    private const int Window = 1024;

    private readonly ConcurrentDictionary<(uint Level, string State), long> _jobs = new();
    private readonly Queue<double> _recent = new();
    private long _objectsDeleted;
    private long _bytesDeleted;
    private long _orphansDeleted;
    private long _firstCount;
    private double _firstSum;

    /// <summary>Job counts by (source level, state): created, forced, committed, noop, stale, lease_expired, abandoned, failed.</summary>
    public IReadOnlyDictionary<(uint Level, string State), long> Jobs => _jobs;

    public long ObjectsDeleted => Interlocked.Read(ref _objectsDeleted);

    public long BytesDeleted => Interlocked.Read(ref _bytesDeleted);

    public long OrphansDeleted => Interlocked.Read(ref _orphansDeleted);

    /// <summary>Time to first compaction (oldest source block's creation → commit of its level-0 job), in seconds.</summary>
    public (long Count, double Sum, double Median) TimeToFirstCompaction
    {
        get
        {
            lock (_recent)
            {
                if (_recent.Count == 0)
                {
                    return (0, 0, 0);
                }

                var sorted = _recent.Order().ToArray();
                return (_firstCount, _firstSum, sorted[sorted.Length / 2]);
            }
        }
    }

    public void JobCreated(uint level, bool forced)
    {
        Count(level, "created");
        if (forced)
        {
            Count(level, "forced");
        }
    }

    public void JobCommitted(uint level, TimeSpan sinceOldestSource)
    {
        Count(level, "committed");
        if (level != 0)
        {
            return;
        }

        lock (_recent)
        {
            _firstCount++;
            _firstSum += sinceOldestSource.TotalSeconds;
            _recent.Enqueue(sinceOldestSource.TotalSeconds);
            if (_recent.Count > Window)
            {
                _recent.Dequeue();
            }
        }
    }

    public void JobNoOp(uint level) => Count(level, "noop");

    public void JobStale(uint level) => Count(level, "stale");

    public void LeaseExpired(uint level) => Count(level, "lease_expired");

    public void JobAbandoned(uint level) => Count(level, "abandoned");

    public void JobFailed(uint level) => Count(level, "failed");

    public void ObjectDeleted(long bytes)
    {
        Interlocked.Increment(ref _objectsDeleted);
        Interlocked.Add(ref _bytesDeleted, bytes);
    }

    public void OrphanDeleted() => Interlocked.Increment(ref _orphansDeleted);

    private void Count(uint level, string state) => _jobs.AddOrUpdate((level, state), 1, static (_, n) => n + 1);
}
