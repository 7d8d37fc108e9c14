using Dapr.Profiler.Mesh;
using Dapr.Profiler.Model;
using Dapr.Profiler.ServiceDefaults;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Dapr.Profiler.Distributor;

/// <summary>Which conventions an API answers errors with.</summary>
internal enum ApiFlavor
{
    /// <summary>Pyroscope's <c>/ingest</c>: Connect-style JSON, but 413 for bodies that are too large.</summary>
    Ingest,

    /// <summary>Connect unary: the Connect code to HTTP status mapping, no 413.</summary>
    Connect,
}

/// <summary>An error answer: HTTP status, Connect code and a message for the sender.</summary>
internal readonly record struct ApiError(int Status, string Code, string Message);

/// <summary>
/// Runs an API handler and translates its typed exceptions into <c>{"code":"…","message":"…"}</c> answers:
/// the one place where exceptions become HTTP statuses.
/// </summary>
internal static class ApiErrors
{
    /// <summary>The state an API handler shares with the error translation (for logs).</summary>
    internal sealed class Scope
    {
        public string Tenant { get; set; } = "-";
    }

    public static async Task RunAsync(HttpContext context, ApiFlavor flavor, ILogger logger, DistributorOptions options, Func<Scope, Task> handler)
    {
        var scope = new Scope();
        var method = context.Request.Method;
        var path = context.Request.Path.Value ?? string.Empty;
        try
        {
            await handler(scope);
        }
        catch (Exception ex) when (context.RequestAborted.IsCancellationRequested && ex is OperationCanceledException or IOException)
        {
            // The client went away (while sending the body or waiting): nobody reads an answer.
            Log.Canceled(logger, method, path, scope.Tenant);
            if (!context.Response.HasStarted)
            {
                context.Response.StatusCode = 499;
            }
        }
        catch (ServiceException ex)
        {
            var error = FromServiceException(ex);
            Log.SegmentWriteFailed(logger, ex, method, path, scope.Tenant, ex.Status, error.Status);
            await WriteAsync(context, error);
        }
        catch (OperationCanceledException ex)
        {
            // Canceled while the client is still there: a timeout below us. Retrying later may succeed.
            var error = new ApiError(StatusCodes.Status503ServiceUnavailable, "unavailable", "storing the profile timed out");
            Log.SegmentWriteFailed(logger, ex, method, path, scope.Tenant, ServiceStatus.DeadlineExceeded, error.Status);
            await WriteAsync(context, error);
        }
        catch (Exception ex) when (Translate(ex, flavor, options) is { } error)
        {
            if (error.Code == "resource_exhausted")
            {
                Log.RateLimited(logger, method, path, scope.Tenant, error.Status, error.Code, error.Message);
            }
            else
            {
                Log.Rejected(logger, method, path, scope.Tenant, error.Status, error.Code, error.Message);
            }

            await WriteAsync(context, error);
        }
        catch (Exception ex)
        {
            // Not an expected rejection: answer 500 instead of dropping the connection, and keep the details in the log.
            Log.Failed(logger, ex, method, path, scope.Tenant);
            await WriteAsync(context, new ApiError(StatusCodes.Status500InternalServerError, "internal", "internal error while ingesting the profile"));
        }
    }

    /// <summary>The answer for an expected rejection, or null for an exception that is not one.</summary>
    public static ApiError? Translate(Exception exception, ApiFlavor flavor, DistributorOptions options)
    {
        var tooLarge = flavor == ApiFlavor.Ingest ? StatusCodes.Status413PayloadTooLarge : StatusCodes.Status400BadRequest;
        return exception switch
        {
            IngestRejectedException ex => ex.Reason switch
            {
                RejectionReason.TooLarge => new ApiError(tooLarge, "invalid_argument", ex.Message),
                RejectionReason.RateLimited => new ApiError(StatusCodes.Status429TooManyRequests, "resource_exhausted", ex.Message),
                RejectionReason.Unauthenticated => new ApiError(StatusCodes.Status401Unauthorized, "unauthenticated", ex.Message),
                RejectionReason.UnsupportedMediaType => new ApiError(StatusCodes.Status415UnsupportedMediaType, "unimplemented", ex.Message),
                _ => new ApiError(StatusCodes.Status400BadRequest, "invalid_argument", ex.Message),
            },
            TenantRejectedException ex => new ApiError(
                ServiceMethodEndpoints.HttpStatus(ex.Status), ServiceMethodEndpoints.CodeName(ex.Status), ex.Message),
            ProfileTooLargeException ex => new ApiError(
                tooLarge, "invalid_argument", $"{ex.Message}; the limit is set by {DistributorOptions.Key(ex.LimitName)}"),
            InvalidLabelsException ex => new ApiError(StatusCodes.Status400BadRequest, "invalid_argument", WithLabelLimit(ex.Message, options)),
            ProfileException ex => new ApiError(StatusCodes.Status400BadRequest, "invalid_argument", ex.Message),
            BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } => new ApiError(
                tooLarge, "invalid_argument", RequestBody.TooLargeMessage(options.MaxRequestBodyBytes)),
            BadHttpRequestException ex => new ApiError(ex.StatusCode, "invalid_argument", $"reading the request body failed: {ex.Message}"),
            _ => null,
        };
    }

    /// <summary>
    /// Segment-writer failures: unavailable → 503 (clients retry), resource_exhausted → 429, invalid_argument → 400,
    /// anything else → 500. Never 200: nothing was acknowledged.
    /// </summary>
    public static ApiError FromServiceException(ServiceException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var message = $"storing the profile failed: {exception.Message}";
        return exception.Status switch
        {
            ServiceStatus.Unavailable => new ApiError(StatusCodes.Status503ServiceUnavailable, "unavailable", message),
            ServiceStatus.ResourceExhausted => new ApiError(StatusCodes.Status429TooManyRequests, "resource_exhausted", message),
            ServiceStatus.InvalidArgument => new ApiError(StatusCodes.Status400BadRequest, "invalid_argument", message),
            _ => new ApiError(StatusCodes.Status500InternalServerError, "internal", message),
        };
    }

    public static Task WriteAsync(HttpContext context, ApiError error)
    {
        if (context.Response.HasStarted)
        {
            return Task.CompletedTask;
        }

        if (error.Status == StatusCodes.Status415UnsupportedMediaType)
        {
            context.Response.Headers["Accept-Post"] = "application/proto, application/json";
        }

        return ConnectError.WriteAsync(context, error.Status, error.Code, error.Message);
    }

    /// <summary>
    /// Adds the configuration key to the normaliser's label-limit messages, which say what is wrong but not which
    /// setting decides it.
    /// </summary>
    private static string WithLabelLimit(string message, DistributorOptions options)
    {
        if (message.Contains(" label names; limit ", StringComparison.Ordinal))
        {
            return $"{message} ({DistributorOptions.Key(nameof(DistributorOptions.MaxLabelNamesPerSeries))} = {options.MaxLabelNamesPerSeries})";
        }

        if (message.Contains("label name too long", StringComparison.Ordinal))
        {
            return $"{message} ({DistributorOptions.Key(nameof(DistributorOptions.MaxLabelNameLength))} = {options.MaxLabelNameLength} bytes)";
        }

        if (message.Contains("label value too long", StringComparison.Ordinal))
        {
            return $"{message} ({DistributorOptions.Key(nameof(DistributorOptions.MaxLabelValueLength))} = {options.MaxLabelValueLength} bytes)";
        }

        return message;
    }
}
