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
}
