using Microsoft.Extensions.Logging;

namespace Dapr.Profiler.Dapr;

internal static partial class Log
{
    [LoggerMessage(EventId = 1301, EventName = "Dapr.HandlerFailed", Level = LogLevel.Warning,
        Message = "handler of {PubSubName}/{Topic} failed on event {EventId}; answering RETRY")]
    public static partial void HandlerFailed(ILogger logger, Exception exception, string pubSubName, string topic, string eventId);

    [LoggerMessage(EventId = 1302, EventName = "Dapr.MalformedEvent", Level = LogLevel.Warning,
        Message = "event delivered to {PubSubName}/{Topic} is malformed ({Reason}); answering DROP")]
    public static partial void MalformedEvent(ILogger logger, string pubSubName, string topic, string reason);

    [LoggerMessage(EventId = 1303, EventName = "Dapr.AppTokenRejected", Level = LogLevel.Warning,
        Message = "request {Method} {Path} rejected: missing or wrong dapr-api-token")]
    public static partial void AppTokenRejected(ILogger logger, string method, string path);

    [LoggerMessage(EventId = 1304, EventName = "Dapr.SidecarReady", Level = LogLevel.Information,
        Message = "the Dapr sidecar at {Endpoint} is ready")]
    public static partial void SidecarReady(ILogger logger, Uri endpoint);

    [LoggerMessage(EventId = 1305, EventName = "Dapr.SidecarNotReady", Level = LogLevel.Error,
        Message = "the Dapr sidecar did not become ready")]
    public static partial void SidecarNotReady(ILogger logger, Exception exception);
}

/// <summary>The log messages of <see cref="DaprBindingObjectStore"/> (EventIds 8000–8099).</summary>
internal static partial class BindingStoreLog
{
    [LoggerMessage(EventId = 8000, EventName = "DaprObjectStore.Opened", Level = LogLevel.Information,
        Message = "Dapr binding object store: binding {BindingName} ({BindingType}), key prefix \"{Prefix}\", objects over {MaxPartBytes} bytes stored in parts")]
    public static partial void Opened(ILogger logger, string bindingName, string bindingType, string prefix, int maxPartBytes);

    [LoggerMessage(EventId = 8001, EventName = "DaprObjectStore.BindingFailed", Level = LogLevel.Warning,
        Message = "binding {BindingName} {Operation} of {Key} failed")]
    public static partial void BindingFailed(ILogger logger, Exception exception, string bindingName, string operation, string key);

    [LoggerMessage(EventId = 8002, EventName = "DaprObjectStore.StoredInParts", Level = LogLevel.Debug,
        Message = "{Key} ({Size} bytes) stored as {Parts} parts of generation {Generation}")]
    public static partial void StoredInParts(ILogger logger, string key, long size, int parts, string generation);

    [LoggerMessage(EventId = 8003, EventName = "DaprObjectStore.PartCleanupFailed", Level = LogLevel.Warning,
        Message = "part {PartKey} could not be removed; it stays hidden from listings")]
    public static partial void PartCleanupFailed(ILogger logger, Exception exception, string partKey);

    [LoggerMessage(EventId = 8004, EventName = "DaprObjectStore.ManifestChanged", Level = LogLevel.Debug,
        Message = "{Key} was overwritten while it was read; reading it again")]
    public static partial void ManifestChanged(ILogger logger, string key);

    [LoggerMessage(EventId = 8005, EventName = "DaprObjectStore.ListingCapped", Level = LogLevel.Warning,
        Message = "binding {BindingName} listed {Count} objects under \"{Prefix}\", its page limit, and has no continuation marker; the listing may be incomplete")]
    public static partial void ListingCapped(ILogger logger, string bindingName, int count, string prefix);

    [LoggerMessage(EventId = 8006, EventName = "DaprObjectStore.ForeignPathSkipped", Level = LogLevel.Debug,
        Message = "binding listing skipped {Path}: not an object key of this store")]
    public static partial void ForeignPathSkipped(ILogger logger, string path);
}
