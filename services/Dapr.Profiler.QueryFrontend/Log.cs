using Dapr.Profiler.Mesh;
using Microsoft.Extensions.Logging;

namespace Dapr.Profiler.QueryFrontend;

/// <summary>The log messages of the query-frontend (EventIds 7000–7499).</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 7000, EventName = "QueryFrontend.Planned", Level = LogLevel.Debug,
        Message = "tenant {Tenant}: {Selector} over [{Start}, {End}] reads {Blocks} blocks in {Leaves} read nodes")]
    public static partial void Planned(ILogger logger, string tenant, string selector, long start, long end, int blocks, int leaves);

    [LoggerMessage(EventId = 7001, EventName = "QueryFrontend.NoBlocks", Level = LogLevel.Debug,
        Message = "tenant {Tenant}: no block may hold {Selector} in [{Start}, {End}]; answered empty without the backend")]
    public static partial void NoBlocks(ILogger logger, string tenant, string selector, long start, long end);

    [LoggerMessage(EventId = 7002, EventName = "QueryFrontend.Executed", Level = LogLevel.Debug,
        Message = "tenant {Tenant}: the query-backend read {BlocksRead} blocks, {DatasetsRead} datasets and {BytesRead} bytes")]
    public static partial void Executed(ILogger logger, string tenant, long blocksRead, long datasetsRead, long bytesRead);

    [LoggerMessage(EventId = 7003, EventName = "QueryFrontend.MetadataIncomplete", Level = LogLevel.Debug,
        Message = "tenant {Tenant}: the metastore cannot answer {Question} exactly; asking the query-backend")]
    public static partial void MetadataIncomplete(ILogger logger, string tenant, string question);

    [LoggerMessage(EventId = 7010, EventName = "QueryFrontend.Rejected", Level = LogLevel.Information,
        Message = "{Method} {Path} from tenant {Tenant} rejected with {Status} {Code}: {Reason}")]
    public static partial void Rejected(ILogger logger, string method, string path, string tenant, int status, string code, string reason);

    [LoggerMessage(EventId = 7020, EventName = "QueryFrontend.DependencyFailed", Level = LogLevel.Warning,
        Message = "{Method} {Path} from tenant {Tenant}: a dependency failed ({ServiceStatus}); answered {Status}")]
    public static partial void DependencyFailed(ILogger logger, Exception exception, string method, string path, string tenant, ServiceStatus serviceStatus, int status);

    [LoggerMessage(EventId = 7021, EventName = "QueryFrontend.Canceled", Level = LogLevel.Debug,
        Message = "{Method} {Path} from tenant {Tenant}: the client went away before the answer")]
    public static partial void Canceled(ILogger logger, string method, string path, string tenant);

    [LoggerMessage(EventId = 7022, EventName = "QueryFrontend.TimedOut", Level = LogLevel.Warning,
        Message = "{Method} {Path} from tenant {Tenant}: the query ran out of time; answered 504")]
    public static partial void TimedOut(ILogger logger, string method, string path, string tenant);

    [LoggerMessage(EventId = 7030, EventName = "QueryFrontend.Failed", Level = LogLevel.Error,
        Message = "{Method} {Path} from tenant {Tenant} failed unexpectedly; answered 500")]
    public static partial void Failed(ILogger logger, Exception exception, string method, string path, string tenant);
}
