using Dapr.Profiler.Mesh;

namespace Dapr.Profiler.Metastore;

/// <summary>
/// A request the metastore rejects: invalid block metadata, an invalid selector or time range. Not retried.
/// </summary>
public sealed class MetastoreInvalidRequestException : ServiceException
{
    public MetastoreInvalidRequestException(string message)
        : base(ServiceStatus.InvalidArgument, message)
    {
    }

    public MetastoreInvalidRequestException(string message, Exception innerException)
        : base(ServiceStatus.InvalidArgument, message, innerException)
    {
    }
}

/// <summary>
/// The metastore cannot serve now: it is still recovering, shutting down, or its command log failed to persist a
/// write (the write was not applied). Calling again later may succeed.
/// </summary>
public sealed class MetastoreUnavailableException : ServiceException
{
    public MetastoreUnavailableException(string message)
        : base(ServiceStatus.Unavailable, message)
    {
    }

    public MetastoreUnavailableException(string message, Exception innerException)
        : base(ServiceStatus.Unavailable, message, innerException)
    {
    }
}

/// <summary>
/// The metastore's files cannot be recovered safely (no readable snapshot where one is needed, a log that does not
/// reach its snapshot). Starting anyway could silently lose acknowledged blocks, so the node refuses to start.
/// </summary>
public sealed class MetastoreCorruptedException : Exception
{
    public MetastoreCorruptedException(string message)
        : base(message)
    {
    }

    public MetastoreCorruptedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>A record of the command log or a snapshot that fails its checksum or cannot be decoded.</summary>
internal sealed class CorruptRecordException : Exception
{
    public CorruptRecordException(string message)
        : base(message)
    {
    }

    public CorruptRecordException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
