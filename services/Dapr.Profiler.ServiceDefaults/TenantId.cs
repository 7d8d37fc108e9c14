using Dapr.Profiler.Mesh;

namespace Dapr.Profiler.ServiceDefaults;

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
    /// <param name="header">The <c>X-Scope-OrgID</c> header value, if any.</param>
    /// <param name="multitenancyEnabled">Whether the header is required.</param>
    /// <param name="settingKey">The configuration key that enables multitenancy, named in the error message.</param>
    /// <exception cref="TenantRejectedException">The header is missing or empty (unauthenticated) or invalid.</exception>
    public static string Resolve(string? header, bool multitenancyEnabled, string? settingKey = null)
    {
        if (!multitenancyEnabled)
        {
            return Anonymous;
        }

        if (string.IsNullOrEmpty(header))
        {
            var setting = settingKey is null ? string.Empty : $" ({settingKey})";
            throw new TenantRejectedException(
                ServiceStatus.Unauthenticated,
                $"no org id: the {HeaderName} header is required because multitenancy is enabled{setting}");
        }

        Validate(header);
        return header;
    }

    /// <exception cref="TenantRejectedException">The id is empty, too long, or uses a character that is not allowed.</exception>
    public static void Validate(string tenant)
    {
        if (!IsValid(tenant, out var error))
        {
            throw new TenantRejectedException(ServiceStatus.InvalidArgument, error);
        }
    }

    /// <summary>Checks a tenant id without throwing; <paramref name="error"/> says what is wrong.</summary>
    public static bool IsValid(string tenant, out string error)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        error = string.Empty;
        if (tenant.Length == 0)
        {
            error = "tenant id is empty";
        }
        else if (tenant.Length > MaxLength)
        {
            error = $"tenant id is too long: {tenant.Length} characters; max {MaxLength}";
        }
        else if (tenant is "." or "..")
        {
            error = $"tenant id '{tenant}' is not allowed";
        }
        else
        {
            foreach (var c in tenant)
            {
                if (!IsAllowed(c))
                {
                    error = $"tenant id '{Printable(tenant)}' contains unsupported character '{Printable(c.ToString())}'; allowed are A-Z a-z 0-9 ! _ . * ' ( ) -";
                    break;
                }
            }
        }

        return error.Length == 0;
    }

    private static bool IsAllowed(char c) => char.IsAsciiLetterOrDigit(c) || c is '!' or '-' or '_' or '.' or '*' or '\'' or '(' or ')';

    private static string Printable(string text) =>
        string.Concat(text.Take(MaxLength).Select(c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString()));
}
