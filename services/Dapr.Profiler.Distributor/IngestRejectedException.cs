namespace Dapr.Profiler.Distributor;

/// <summary>Why the distributor refused a request; the API edge turns each into a status and a Connect code.</summary>
public enum RejectionReason
{
    /// <summary>Bad parameters, labels, tenant id or body (400, <c>invalid_argument</c>).</summary>
    InvalidArgument,

    /// <summary>The body or the profile is larger than a limit (413 on <c>/ingest</c>, 400 on Connect).</summary>
    TooLarge,

    /// <summary>The tenant's ingestion rate, or the distributor's in-flight limit, is used up (429, <c>resource_exhausted</c>).</summary>
    RateLimited,

    /// <summary>Multitenancy is on and the request names no tenant (401, <c>unauthenticated</c>).</summary>
    Unauthenticated,

    /// <summary>A Content-Type or Content-Encoding this server does not speak (415, <c>unimplemented</c>).</summary>
    UnsupportedMediaType,
}

/// <summary>
/// A request the distributor refuses before anything is stored. The message is written for the sender and names
/// the rule or the limit (as <c>Distributor:&lt;Option&gt;</c>) that was hit.
/// </summary>
public sealed class IngestRejectedException : Exception
{
    public IngestRejectedException(RejectionReason reason, string message, string? limitName = null)
        : base(message)
    {
        Reason = reason;
        LimitName = limitName;
    }

    public IngestRejectedException(RejectionReason reason, string message, Exception innerException, string? limitName = null)
        : base(message, innerException)
    {
        Reason = reason;
        LimitName = limitName;
    }

    public RejectionReason Reason { get; }

    /// <summary>The configuration key of the limit that was hit, when a limit was hit.</summary>
    public string? LimitName { get; }
}
