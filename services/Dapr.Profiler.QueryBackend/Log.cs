using Microsoft.Extensions.Logging;

namespace Dapr.Profiler.QueryBackend;

/// <summary>The query-backend's log messages. Event ids 6000–6499 belong to this project.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 6000, EventName = "QueryBackend.Merge", Level = LogLevel.Debug,
        Message = "MERGE node with {Children} children and {Queries} queries done in {ElapsedMs} ms ({Blocks} blocks, {Datasets} datasets, {Bytes} bytes read below)")]
    public static partial void MergeCompleted(ILogger logger, int children, int queries, long elapsedMs, long blocks, long datasets, long bytes);

    [LoggerMessage(EventId = 6001, EventName = "QueryBackend.Read", Level = LogLevel.Debug,
        Message = "READ node with {PlannedBlocks} blocks and {Queries} queries done in {ElapsedMs} ms: {Blocks} blocks, {Datasets} datasets, {Bytes} bytes read")]
    public static partial void ReadCompleted(ILogger logger, int plannedBlocks, int queries, long elapsedMs, long blocks, long datasets, long bytes);

    [LoggerMessage(EventId = 6002, EventName = "QueryBackend.ObjectMissing", Level = LogLevel.Warning,
        Message = "block {BlockId} ({Key}) is not in object storage (deleted by compaction or retention after planning?); its datasets are skipped")]
    public static partial void ObjectMissing(ILogger logger, string blockId, string key);

    [LoggerMessage(EventId = 6003, EventName = "QueryBackend.ForeignTenantDatasets", Level = LogLevel.Warning,
        Message = "the plan lists {Count} datasets of block {BlockId} that belong to tenants the request may not see ({Tenants}); they are not read")]
    public static partial void ForeignTenantDatasets(ILogger logger, int count, string blockId, string tenants);

    [LoggerMessage(EventId = 6004, EventName = "QueryBackend.StorageFailed", Level = LogLevel.Error,
        Message = "reading block {BlockId} ({Key}) from object storage failed")]
    public static partial void StorageFailed(ILogger logger, Exception exception, string blockId, string key);

    [LoggerMessage(EventId = 6005, EventName = "QueryBackend.BlockCorrupt", Level = LogLevel.Error,
        Message = "block {BlockId} ({Key}) is corrupt or does not match its metadata")]
    public static partial void BlockCorrupt(ILogger logger, Exception exception, string blockId, string key);

    [LoggerMessage(EventId = 6006, EventName = "QueryBackend.PlanMismatch", Level = LogLevel.Error,
        Message = "block {BlockId} ({Key}) has no dataset {Tenant}/{Service} at offset {Offset} although the plan lists it")]
    public static partial void PlanMismatch(ILogger logger, string blockId, string key, string tenant, string service, ulong offset);

    [LoggerMessage(EventId = 6007, EventName = "QueryBackend.ChildFailed", Level = LogLevel.Debug,
        Message = "a child invocation of a MERGE node failed; the query fails")]
    public static partial void ChildFailed(ILogger logger, Exception exception);
}
