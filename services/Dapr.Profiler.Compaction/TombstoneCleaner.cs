using Dapr.Profiler.Block;
using Dapr.Profiler.Metastore.Client;
using Dapr.Profiler.ObjectStorage;
using Dapr.Profiler.Protos.Metastore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Dapr.Profiler.Compaction;

/// <summary>
/// Deletes objects, the only part of the system that does. Every <see cref="CompactionOptions.CleanupInterval"/> it
/// deletes the objects of tombstones older than <see cref="CompactionOptions.DeletionDelay"/> (so queries planned
/// before a block left the index can still read it), then tells the metastore to forget those tombstones. Every
/// tenth pass it also sweeps orphans: compacted-block objects older than the delay that the index neither holds nor
/// tombstones (an output written by a job whose commit never happened).
/// </summary>
public sealed partial class TombstoneCleaner(
    IObjectStore store,
    IMetastoreCompactionClient metastore,
    IOptions<CompactionOptions> options,
    CompactionMetrics metrics,
    TimeProvider timeProvider,
    ILogger<TombstoneCleaner> logger) : BackgroundService
{
    private const int OrphanSweepEvery = 10;
    private const int OrphanBatch = 500;

    /// <summary>Deletes what is due now; returns the number of objects deleted.</summary>
    public async Task<int> CleanOnceAsync(CancellationToken cancellationToken)
    {
        var before = (timeProvider.GetUtcNow() - options.Value.DeletionDelay).ToUnixTimeMilliseconds();
        var deleted = 0;
        while (true)
        {
            var due = await metastore.ListTombstonesAsync(new ListTombstonesRequest { CreatedBefore = before }, cancellationToken);
            if (due.Tombstones.Count == 0)
            {
                return deleted;
            }

            var done = new DeleteTombstonesRequest();
            foreach (var tombstone in due.Tombstones)
            {
                await store.DeleteAsync(tombstone.ObjectKey, cancellationToken);
                metrics.ObjectDeleted((long)tombstone.Size);
                done.ObjectKeys.Add(tombstone.ObjectKey);
                deleted++;
            }

            await metastore.DeleteTombstonesAsync(done, cancellationToken);
            LogDeleted(logger, done.ObjectKeys.Count);
        }
    }

    /// <summary>Deletes compacted-block objects older than the delay that the index does not know; returns how many.</summary>
    public async Task<int> SweepOrphansAsync(CancellationToken cancellationToken)
    {
        var before = timeProvider.GetUtcNow() - options.Value.DeletionDelay;
        var candidates = new List<(string Key, string Id)>();
        var deleted = 0;
        await foreach (var info in store.ListAsync(BlockObjectKeys.BlocksPrefix, cancellationToken))
        {
            if (info.LastModified <= before && BlockObjectKeys.TryGetBlockId(info.Key) is { } id)
            {
                candidates.Add((info.Key, id));
                if (candidates.Count == OrphanBatch)
                {
                    deleted += await DeleteOrphansAsync(candidates, cancellationToken);
                    candidates.Clear();
                }
            }
        }

        return deleted + await DeleteOrphansAsync(candidates, cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.CleanupInterval, timeProvider);
        var pass = 0;
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await CleanOnceAsync(stoppingToken);
                    if (++pass % OrphanSweepEvery == 0)
                    {
                        await SweepOrphansAsync(stoppingToken);
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                {
                    LogPassFailed(logger, ex);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // stopping
        }
    }

    private async Task<int> DeleteOrphansAsync(List<(string Key, string Id)> candidates, CancellationToken cancellationToken)
    {
        if (candidates.Count == 0)
        {
            return 0;
        }

        var request = new BlockStatesRequest();
        request.BlockIds.AddRange(candidates.Select(c => c.Id));
        var states = await metastore.BlockStatesAsync(request, cancellationToken);
        var known = new HashSet<string>(states.Indexed.Concat(states.Tombstoned), StringComparer.Ordinal);
        var deleted = 0;
        var before = timeProvider.GetUtcNow() - options.Value.DeletionDelay;
        foreach (var (key, id) in candidates.Where(c => !known.Contains(c.Id)))
        {
            // A worker may have written the object again since it was listed (a job run again to commit it).
            if (await store.StatAsync(key, cancellationToken) is not { } info || info.LastModified > before)
            {
                continue;
            }

            await store.DeleteAsync(key, cancellationToken);
            metrics.OrphanDeleted();
            LogOrphan(logger, key);
            deleted++;
        }

        return deleted;
    }

    [LoggerMessage(EventId = 6030, EventName = "CompactionObjectsDeleted", Level = LogLevel.Debug,
        Message = "Deleted {Count} tombstoned objects")]
    private static partial void LogDeleted(ILogger logger, int count);

    [LoggerMessage(EventId = 6031, EventName = "CompactionOrphanDeleted", Level = LogLevel.Information,
        Message = "Deleted orphaned object {Key} (not indexed, not tombstoned)")]
    private static partial void LogOrphan(ILogger logger, string key);

    [LoggerMessage(EventId = 6032, EventName = "CompactionCleanupFailed", Level = LogLevel.Warning,
        Message = "Deleting tombstoned objects failed; retrying at the next interval")]
    private static partial void LogPassFailed(ILogger logger, Exception exception);
}
