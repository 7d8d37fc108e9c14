using System.Globalization;
using System.Text.RegularExpressions;
using Dapr.Profiler.Mesh;
using Dapr.Profiler.ServiceDefaults;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Dapr.Profiler.QueryFrontend;

/// <summary>
/// Runs a query API handler with the caller's tenant and a deadline, and turns its exceptions into Connect error
/// answers (<c>{"code","message"}</c> with the mapped status): the one place where exceptions become statuses.
/// </summary>
internal static class ApiRunner
{
    /// <summary>The Connect header that carries the client's deadline in milliseconds.</summary>
    public const string TimeoutHeader = "Connect-Timeout-Ms";

    /// <summary>
    /// Resolves the tenant, holds one of its <see cref="TenantQueryLimiter"/> slots and runs <paramref name="handler"/>
    /// within <see cref="QueryFrontendOptions.QueryTimeout"/> (or the client's shorter deadline).
    /// </summary>
    public static async Task RunAsync(
        HttpContext context, QueryFrontendOptions options, TenantQueryLimiter limiter, ILogger logger, Func<string, CancellationToken, Task> handler)
    {
        var method = context.Request.Method;
        var path = context.Request.Path.Value ?? string.Empty;
        var tenant = "-";
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        if (Timeout(context.Request, options) is { } timeout)
        {
            deadline.CancelAfter(timeout);
        }

        try
        {
            tenant = TenantId.Resolve(
                context.Request.Headers[TenantId.HeaderName],
                options.MultitenancyEnabled,
                QueryFrontendOptions.Key(nameof(QueryFrontendOptions.MultitenancyEnabled)));
            using var slot = limiter.Enter(tenant);
            await handler(tenant, deadline.Token);
        }
        catch (Exception ex) when (context.RequestAborted.IsCancellationRequested && ex is OperationCanceledException or IOException)
        {
            // The client went away: nobody reads an answer.
            Log.Canceled(logger, method, path, tenant);
            if (!context.Response.HasStarted)
            {
                context.Response.StatusCode = 499;
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            Log.TimedOut(logger, method, path, tenant);
            await ConnectError.WriteAsync(context, ServiceStatus.DeadlineExceeded, "the query did not finish in time; narrow the time range or the selector");
        }
        catch (ApiException ex)
        {
            Log.Rejected(logger, method, path, tenant, ex.Status, ex.Code, ex.Message);
            if (ex.Status == StatusCodes.Status415UnsupportedMediaType)
            {
                context.Response.Headers["Accept-Post"] = "application/proto, application/json";
            }
            else if (ex.Status == StatusCodes.Status405MethodNotAllowed)
            {
                context.Response.Headers.Allow = "POST";
            }

            await ConnectError.WriteAsync(context, ex.Status, ex.Code, ex.Message);
        }
        catch (TenantRejectedException ex)
        {
            Reject(context, logger, tenant, ex.Status, ex.Message);
            await ConnectError.WriteAsync(context, ex.Status, ex.Message);
        }
        catch (ServiceException ex) when (IsCallerError(ex.Status))
        {
            Reject(context, logger, tenant, ex.Status, ex.Message);
            await ConnectError.WriteAsync(context, ex.Status, ex.Message);
        }
        catch (ServiceException ex)
        {
            Log.DependencyFailed(logger, ex, method, path, tenant, ex.Status, ServiceMethodEndpoints.HttpStatus(ex.Status));
            await ConnectError.WriteAsync(context, ex.Status, ex.Message);
        }
        catch (RegexMatchTimeoutException ex)
        {
            Reject(context, logger, tenant, ServiceStatus.InvalidArgument, ex.Message);
            await ConnectError.WriteAsync(context, ServiceStatus.InvalidArgument, $"a regular expression of the selector took too long to match: {ex.Pattern}");
        }
        catch (Exception ex)
        {
            Log.Failed(logger, ex, method, path, tenant);
            await ConnectError.WriteAsync(context, ServiceStatus.Internal, "internal error while running the query");
        }
    }

    /// <summary>Statuses that describe the request, not a failure of this server or its dependencies.</summary>
    private static bool IsCallerError(ServiceStatus status) => status is ServiceStatus.InvalidArgument or ServiceStatus.FailedPrecondition
        or ServiceStatus.Unimplemented or ServiceStatus.NotFound or ServiceStatus.Unauthenticated or ServiceStatus.PermissionDenied
        or ServiceStatus.ResourceExhausted;

    private static void Reject(HttpContext context, ILogger logger, string tenant, ServiceStatus status, string message)
    {
        var httpStatus = ServiceMethodEndpoints.HttpStatus(status);
        var code = ServiceMethodEndpoints.CodeName(status);
        Log.Rejected(logger, context.Request.Method, context.Request.Path.Value ?? string.Empty, tenant, httpStatus, code, message);
    }

    /// <summary>The smaller of the client's <c>Connect-Timeout-Ms</c> and <see cref="QueryFrontendOptions.QueryTimeout"/>.</summary>
    private static TimeSpan? Timeout(HttpRequest request, QueryFrontendOptions options)
    {
        TimeSpan? timeout = options.QueryTimeout > TimeSpan.Zero ? options.QueryTimeout : null;
        if (long.TryParse(request.Headers[TimeoutHeader], NumberStyles.None, CultureInfo.InvariantCulture, out var ms) && ms > 0)
        {
            var client = TimeSpan.FromMilliseconds(Math.Min(ms, (long)TimeSpan.FromDays(1).TotalMilliseconds));
            timeout = timeout is { } configured && configured < client ? configured : client;
        }

        return timeout;
    }
}
