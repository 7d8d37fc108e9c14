namespace Dapr.Profiler.Distributor;

/// <summary>
/// Tenant ids as Pyroscope (and Cortex/Mimir) accept them: the <c>X-Scope-OrgID</c> header, at most 150
/// characters of <c>[A-Za-z0-9!_.*'()-]</c>, and neither <c>.</c> nor <c>..</c> (they would be path segments
/// in object keys).
/// </summary>
public static class TenantId
{
    /// <summary>The header that names the tenant.</summary>
    public const string HeaderName = "X-Scope-OrgID";

    /// <summary>The tenant of every request when multitenancy is off.</summary>
    public const string Anonymous = "anonymous";

    /// <summary>The longest tenant id accepted.</summary>
    public const int MaxLength = 150;

    /// <summary>
    /// The tenant of a request: <see cref="Anonymous"/> when multitenancy is off (the header is ignored), else the
    /// validated header value.
    /// </summary>
    /// <exception cref="IngestRejectedException">The header is missing or empty (unauthenticated) or invalid.</exception>
    public static string Resolve(string? header, bool multitenancyEnabled)
    {
        if (!multitenancyEnabled)
        {
            return Anonymous;
        }

        if (string.IsNullOrEmpty(header))
        {
            throw new IngestRejectedException(
                RejectionReason.Unauthenticated,
                $"no org id: the {HeaderName} header is required because multitenancy is enabled ({DistributorOptions.Key(nameof(DistributorOptions.MultitenancyEnabled))})");
        }

        Validate(header);
        return header;
    }

    /// <exception cref="IngestRejectedException">The id is empty, too long, or uses a character that is not allowed.</exception>
    public static void Validate(string tenant)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        if (tenant.Length == 0)
        {
            throw new IngestRejectedException(RejectionReason.InvalidArgument, "tenant id is empty");
        }

        if (tenant.Length > MaxLength)
        {
            throw new IngestRejectedException(
                RejectionReason.InvalidArgument, $"tenant id is too long: {tenant.Length} characters; max {MaxLength}");
        }

        if (tenant is "." or "..")
        {
            throw new IngestRejectedException(RejectionReason.InvalidArgument, $"tenant id '{tenant}' is not allowed");
        }

        foreach (var c in tenant)
        {
            if (!IsAllowed(c))
            {
                throw new IngestRejectedException(
                    RejectionReason.InvalidArgument,
                    $"tenant id '{Printable(tenant)}' contains unsupported character '{Printable(c.ToString())}'; allowed are A-Z a-z 0-9 ! _ . * ' ( ) -");
            }
        }
    }

    private static bool IsAllowed(char c) => char.IsAsciiLetterOrDigit(c) || c is '!' or '-' or '_' or '.' or '*' or '\'' or '(' or ')';

    private static string Printable(string text) =>
        string.Concat(text.Take(MaxLength).Select(c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString()));
}
