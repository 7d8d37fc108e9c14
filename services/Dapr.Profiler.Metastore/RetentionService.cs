using Dapr.Profiler.Protos.Metastore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Dapr.Profiler.Metastore;

/// <summary>
/// Applies retention once the node is ready and then every <see cref="RetentionOptions.Interval"/>: one
/// <c>truncate</c> command carrying the periods, applied by the state machine at the command's time. When blocks
/// left the index, two snapshots follow so the log that still held them is truncated and the disk use shrinks.
/// </summary>
public sealed partial class RetentionService(
    MetastoreNode node, IOptions<RetentionOptions> options, TimeProvider timeProvider, ILogger<RetentionService> logger) : BackgroundService
{
    /// <summary>Applies retention now; returns the number of blocks that left the index.</summary>
    public async Task<int> ApplyOnceAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var request = new TruncateRequest { DefaultRetentionMs = (long)settings.Period.TotalMilliseconds };
        foreach (var (tenant, period) in settings.Tenants)
        {
            request.TenantRetentionMs[tenant] = (long)period.TotalMilliseconds;
        }

        var response = (TruncateResponse)(await node.ProposeAsync(new Command { Truncate = request }, null, cancellationToken))!;
        if (response.BlocksRemoved > 0)
        {
            LogTruncated(logger, response.BlocksRemoved);
            // A snapshot keeps the one before it (in case it proves unreadable) and truncates the log up to that
            // one. Two snapshots with a command between them leave only snapshots taken after the removal, and a
            // log that no longer holds the removed blocks.
            await node.SnapshotAsync();
            await node.ProposeAsync(new Command { DeleteTombstones = new DeleteTombstonesRequest() }, null, cancellationToken);
            await node.SnapshotAsync();
        }

        return response.BlocksRemoved;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await node.Ready.WaitAsync(stoppingToken);
        }
        catch (Exception)
        {
            return; // stopping, or recovery failed (the hosted service stops the host)
        }

        using var timer = new PeriodicTimer(options.Value.Interval, timeProvider);
        try
        {
            do
            {
                try
                {
                    await ApplyOnceAsync(stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                {
                    LogFailed(logger, ex);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // stopping
        }
    }

    [LoggerMessage(EventId = 3100, EventName = "MetastoreRetentionTruncated", Level = LogLevel.Information, Message = "Retention removed {Blocks} blocks from the index; their objects are tombstoned")]
    private static partial void LogTruncated(ILogger logger, int blocks);

    [LoggerMessage(EventId = 3101, EventName = "MetastoreRetentionFailed", Level = LogLevel.Warning, Message = "Applying retention failed; retrying at the next interval")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
