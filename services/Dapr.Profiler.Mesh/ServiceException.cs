namespace Dapr.Profiler.Mesh;

/// <summary>Status codes of service calls (the Connect/gRPC set), so an error keeps its meaning across the mesh.</summary>
public enum ServiceStatus
{
    InvalidArgument,
    NotFound,
    AlreadyExists,
    PermissionDenied,
    Unauthenticated,
    ResourceExhausted,
    FailedPrecondition,
    Unavailable,
    DeadlineExceeded,
    Unimplemented,
    Internal,
}

/// <summary>
/// An expected failure of a service method, with a status and a message for the caller. In process it travels
/// as itself; through Dapr the app side writes it as a status code and JSON body, and the client rebuilds it.
/// </summary>
public class ServiceException : Exception
{
    public ServiceException(ServiceStatus status, string message)
        : base(message)
    {
        Status = status;
    }

    public ServiceException(ServiceStatus status, string message, Exception innerException)
        : base(message, innerException)
    {
        Status = status;
    }

    public ServiceStatus Status { get; }

    /// <summary>Whether calling again later may succeed.</summary>
    public bool IsTransient => Status is ServiceStatus.Unavailable or ServiceStatus.DeadlineExceeded or ServiceStatus.ResourceExhausted;
}
