using Microsoft.Extensions.Logging;

namespace Dapr.Profiler.ObjectStorage;

/// <summary>The log messages of the object storage assembly (EventIds 2000–2099).</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 2000, EventName = "ObjectStorage.Opened", Level = LogLevel.Information,
        Message = "filesystem object store at {Root}; {StaleTempFiles} abandoned temporary files removed")]
    public static partial void Opened(ILogger logger, string root, int staleTempFiles);

    [LoggerMessage(EventId = 2001, EventName = "ObjectStorage.TempFileNotRemoved", Level = LogLevel.Warning,
        Message = "temporary file {Path} could not be removed")]
    public static partial void TempFileNotRemoved(ILogger logger, Exception exception, string path);

    [LoggerMessage(EventId = 2002, EventName = "ObjectStorage.DirectoryNotPruned", Level = LogLevel.Debug,
        Message = "empty directory {Path} could not be removed")]
    public static partial void DirectoryNotPruned(ILogger logger, Exception exception, string path);

    [LoggerMessage(EventId = 2003, EventName = "ObjectStorage.DirectorySyncUnsupported", Level = LogLevel.Warning,
        Message = "the filesystem of {Path} cannot fsync directories (errno {Errno}); renames may not survive a power loss")]
    public static partial void DirectorySyncUnsupported(ILogger logger, string path, int errno);

    [LoggerMessage(EventId = 2010, EventName = "ObjectStorage.S3Opened", Level = LogLevel.Information,
        Message = "S3 object store: bucket {Bucket}, key prefix \"{Prefix}\", endpoint {Endpoint}, region {Region}, path-style {PathStyle}, credentials from {Credentials}")]
    public static partial void S3Opened(ILogger logger, string bucket, string prefix, string endpoint, string region, bool pathStyle, string credentials);

    [LoggerMessage(EventId = 2011, EventName = "ObjectStorage.S3RequestFailed", Level = LogLevel.Warning,
        Message = "S3 {Operation} of {Key} in bucket {Bucket} failed: HTTP {StatusCode}, error code {ErrorCode}, request id {RequestId}")]
    public static partial void S3RequestFailed(ILogger logger, Exception exception, string operation, string key, string bucket, int statusCode, string errorCode, string requestId);

    [LoggerMessage(EventId = 2012, EventName = "ObjectStorage.S3TransportFailed", Level = LogLevel.Warning,
        Message = "S3 {Operation} of {Key} in bucket {Bucket} failed without an answer from the server")]
    public static partial void S3TransportFailed(ILogger logger, Exception exception, string operation, string key, string bucket);

    [LoggerMessage(EventId = 2013, EventName = "ObjectStorage.S3ForeignKeySkipped", Level = LogLevel.Debug,
        Message = "S3 listing skipped {S3Key} in bucket {Bucket}: not an object key of this store ({Reason})")]
    public static partial void S3ForeignKeySkipped(ILogger logger, string s3Key, string bucket, string reason);

    [LoggerMessage(EventId = 2014, EventName = "ObjectStorage.S3ListOutOfOrder", Level = LogLevel.Error,
        Message = "the S3 server listed {S3Key} after {PreviousKey} in bucket {Bucket}: not in key order, so its pagination can skip objects; use a conforming server")]
    public static partial void S3ListOutOfOrder(ILogger logger, string s3Key, string previousKey, string bucket);

    [LoggerMessage(EventId = 2015, EventName = "ObjectStorage.S3RangeIgnored", Level = LogLevel.Warning,
        Message = "the S3 server answered a range read of {Key} in bucket {Bucket} with the whole object; range reads cost a whole download there")]
    public static partial void S3RangeIgnored(ILogger logger, string key, string bucket);
}
