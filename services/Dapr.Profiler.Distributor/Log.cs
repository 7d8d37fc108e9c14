using Microsoft.Extensions.Logging;

namespace Dapr.Profiler.Distributor;

/// <summary>The log messages of the distributor (EventIds 4000–4999).</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 4000, EventName = "Distributor.Stored", Level = LogLevel.Debug,
        Message = "tenant {Tenant}: {Profiles} profiles stored as {Series} series in {Pushes} segment-writer pushes")]
    public static partial void Stored(ILogger logger, string tenant, int profiles, int series, int pushes);

    [LoggerMessage(EventId = 4001, EventName = "Distributor.NothingToStore", Level = LogLevel.Debug,
        Message = "tenant {Tenant}: {Profiles} profiles accepted with no series left to store (all values zero)")]
    public static partial void NothingToStore(ILogger logger, string tenant, int profiles);

    [LoggerMessage(EventId = 4010, EventName = "Distributor.Rejected", Level = LogLevel.Information,
        Message = "{Method} {Path} from tenant {Tenant} rejected with {Status} {Code}: {Reason}")]
    public static partial void Rejected(ILogger logger, string method, string path, string tenant, int status, string code, string reason);

    [LoggerMessage(EventId = 4011, EventName = "Distributor.RateLimited", Level = LogLevel.Debug,
        Message = "{Method} {Path} from tenant {Tenant} rejected with {Status} {Code}: {Reason}")]
    public static partial void RateLimited(ILogger logger, string method, string path, string tenant, int status, string code, string reason);

    [LoggerMessage(EventId = 4020, EventName = "Distributor.SegmentWriteFailed", Level = LogLevel.Warning,
        Message = "{Method} {Path} from tenant {Tenant}: the segment-writer failed ({ServiceStatus}); answered {Status}")]
    public static partial void SegmentWriteFailed(ILogger logger, Exception exception, string method, string path, string tenant, Dapr.Profiler.Mesh.ServiceStatus serviceStatus, int status);

    [LoggerMessage(EventId = 4021, EventName = "Distributor.Canceled", Level = LogLevel.Debug,
        Message = "{Method} {Path} from tenant {Tenant}: the client went away before the answer")]
    public static partial void Canceled(ILogger logger, string method, string path, string tenant);

    [LoggerMessage(EventId = 4030, EventName = "Distributor.Failed", Level = LogLevel.Error,
        Message = "{Method} {Path} from tenant {Tenant} failed unexpectedly; answered 500")]
    public static partial void Failed(ILogger logger, Exception exception, string method, string path, string tenant);
}
