using System.Net;
using Dapr.Profiler.Mesh;

namespace Dapr.Profiler.Dapr;

/// <summary>
/// A failed call to the sidecar, as a <see cref="ServiceException"/> so callers of the mesh contracts see one
/// exception type. Carries what the sidecar answered: the HTTP status, the error code (the sidecar's
/// <c>errorCode</c>, or the app's <c>code</c> for a relayed invocation error), and response metadata headers.
/// </summary>
public sealed class DaprApiException : ServiceException
{
    public DaprApiException(ServiceStatus status, string message, HttpStatusCode? httpStatus, string? errorCode, IReadOnlyDictionary<string, string>? metadata = null)
        : base(status, message)
    {
        HttpStatus = httpStatus;
        ErrorCode = errorCode;
        Metadata = metadata ?? new Dictionary<string, string>();
    }

    public DaprApiException(ServiceStatus status, string message, Exception innerException)
        : base(status, message, innerException)
    {
        Metadata = new Dictionary<string, string>();
    }

    /// <summary>The status of the sidecar's answer; null when there was no answer (connection failure, timeout).</summary>
    public HttpStatusCode? HttpStatus { get; }

    /// <summary><c>ERR_…</c> from the sidecar, or the app's Connect code name; null when the body had neither.</summary>
    public string? ErrorCode { get; }

    /// <summary>Response metadata (<c>metadata.*</c> headers, prefix removed), e.g. of a failed binding call.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }
}
