using Dapr.Profiler.Mesh;

namespace Dapr.Profiler.ServiceDefaults;

/// <summary>
/// A request whose tenant is missing (<see cref="ServiceStatus.Unauthenticated"/>, 401) or invalid
/// (<see cref="ServiceStatus.InvalidArgument"/>, 400). The message is written for the caller.
/// </summary>
public sealed class TenantRejectedException : Exception
{
    public TenantRejectedException(ServiceStatus status, string message)
        : base(message)
    {
        Status = status;
    }

    /// <summary>Why the tenant was refused: unauthenticated or invalid argument.</summary>
    public ServiceStatus Status { get; }
}
