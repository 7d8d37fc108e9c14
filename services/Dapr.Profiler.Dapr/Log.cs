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
