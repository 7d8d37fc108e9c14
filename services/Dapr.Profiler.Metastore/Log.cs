using Microsoft.Extensions.Logging;

namespace Dapr.Profiler.Metastore;

/// <summary>The metastore's log messages. Event ids 3000–3999 belong to this project.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 3000, EventName = "MetastoreRecovering", Level = LogLevel.Information,
        Message = "metastore recovering from {Directory}")]
    public static partial void Recovering(this ILogger logger, string directory);

    [LoggerMessage(EventId = 3001, EventName = "MetastoreRecovered", Level = LogLevel.Information,
        Message = "metastore ready: {Blocks} blocks (snapshot at {SnapshotAddress} with {SnapshotBlocks} blocks, {Commands} commands replayed up to {TailAddress}) in {ElapsedMs} ms")]
    public static partial void Recovered(
        this ILogger logger, int blocks, long snapshotAddress, int snapshotBlocks, int commands, long tailAddress, long elapsedMs);

    [LoggerMessage(EventId = 3002, EventName = "MetastoreRecoveryFailed", Level = LogLevel.Critical,
        Message = "metastore failed to recover; the node cannot serve")]
    public static partial void RecoveryFailed(this ILogger logger, Exception exception);

    [LoggerMessage(EventId = 3007, EventName = "MetastoreStoppingHost", Level = LogLevel.Critical,
        Message = "stopping the host: the metastore cannot serve without its index (exit code 1)")]
    public static partial void StoppingAfterRecoveryFailure(this ILogger logger);

    [LoggerMessage(EventId = 3003, EventName = "MetastoreSnapshotCorrupt", Level = LogLevel.Error,
        Message = "metastore snapshot {Path} is unreadable; trying an older one")]
    public static partial void SnapshotCorrupt(this ILogger logger, Exception exception, string path);

    [LoggerMessage(EventId = 3004, EventName = "MetastoreLogTornTail", Level = LogLevel.Warning,
        Message = "metastore log is damaged at address {Address}: records from there on are ignored ({Reason}); a snapshot now covers the recovered state")]
    public static partial void LogTornTail(this ILogger logger, long address, string reason);

    [LoggerMessage(EventId = 3005, EventName = "MetastoreLogBehindSnapshot", Level = LogLevel.Warning,
        Message = "metastore log ends at {TailAddress}, before its snapshot's address {SnapshotAddress}; a snapshot now covers the recovered state")]
    public static partial void LogBehindSnapshot(this ILogger logger, long tailAddress, long snapshotAddress);

    [LoggerMessage(EventId = 3006, EventName = "MetastoreLogGap", Level = LogLevel.Error,
        Message = "metastore log is missing commands {FirstMissing}..{LastMissing} before address {Address} (damaged storage); the blocks they added are not indexed")]
    public static partial void LogGap(this ILogger logger, long firstMissing, long lastMissing, long address);

    [LoggerMessage(EventId = 3010, EventName = "MetastoreCommitFailed", Level = LogLevel.Error,
        Message = "metastore log commit failed; {Count} writes rejected, the log will be reopened before the next write")]
    public static partial void CommitFailed(this ILogger logger, Exception exception, int count);

    [LoggerMessage(EventId = 3011, EventName = "MetastoreLogReopened", Level = LogLevel.Information,
        Message = "metastore log reopened after a failure: {Blocks} blocks")]
    public static partial void LogReopened(this ILogger logger, int blocks);

    [LoggerMessage(EventId = 3012, EventName = "MetastoreBlockAdded", Level = LogLevel.Debug,
        Message = "block {BlockId} (shard {Shard}, level {Level}, {Datasets} datasets) indexed")]
    public static partial void BlockAdded(this ILogger logger, string blockId, uint shard, uint level, int datasets);

    [LoggerMessage(EventId = 3013, EventName = "MetastoreAppliedInvalidBlock", Level = LogLevel.Error,
        Message = "the log holds invalid metadata for block {BlockId}; the command is ignored")]
    public static partial void LogAppliedInvalidBlock(this ILogger logger, Exception exception, string blockId);

    [LoggerMessage(EventId = 3020, EventName = "MetastoreSnapshotWritten", Level = LogLevel.Information,
        Message = "metastore snapshot at {Address}: {Blocks} blocks, {Bytes} bytes in {ElapsedMs} ms; log truncated up to {TruncatedUntil}")]
    public static partial void SnapshotWritten(this ILogger logger, long address, int blocks, long bytes, long elapsedMs, long truncatedUntil);

    [LoggerMessage(EventId = 3021, EventName = "MetastoreSnapshotFailed", Level = LogLevel.Error,
        Message = "metastore snapshot at {Address} failed; the log keeps growing until the next one succeeds")]
    public static partial void SnapshotFailed(this ILogger logger, Exception exception, long address);

    [LoggerMessage(EventId = 3022, EventName = "MetastoreDirectorySyncUnsupported", Level = LogLevel.Warning,
        Message = "the filesystem of {Directory} cannot sync directories (errno {Errno}); a crash right after a snapshot may lose its rename")]
    public static partial void DirectorySyncUnsupported(this ILogger logger, string directory, int errno);

    [LoggerMessage(EventId = 3030, EventName = "MetastoreDlqRecovered", Level = LogLevel.Information,
        Message = "metastore recovered block {BlockId} from the DLQ object {Key}")]
    public static partial void DlqRecovered(this ILogger logger, string blockId, string key);

    [LoggerMessage(EventId = 3031, EventName = "MetastoreDlqRejected", Level = LogLevel.Error,
        Message = "DLQ object {Key} is not valid block metadata; moved to {RejectedKey}")]
    public static partial void DlqRejected(this ILogger logger, Exception exception, string key, string rejectedKey);

    [LoggerMessage(EventId = 3032, EventName = "MetastoreDlqPassFailed", Level = LogLevel.Warning,
        Message = "metastore DLQ pass failed; retrying in {Interval}")]
    public static partial void DlqPassFailed(this ILogger logger, Exception exception, TimeSpan interval);

    [LoggerMessage(EventId = 3033, EventName = "MetastoreDlqNoObjectStore", Level = LogLevel.Warning,
        Message = "metastore DLQ recovery is enabled but no IObjectStore is registered; it will not run")]
    public static partial void DlqNoObjectStore(this ILogger logger);

    [LoggerMessage(EventId = 3040, EventName = "MetastoreBlockAddedHandlerFailed", Level = LogLevel.Warning,
        Message = "A BlockAdded listener failed for shard {Shard}")]
    public static partial void BlockAddedHandlerFailed(this ILogger logger, Exception exception, uint shard);
}
