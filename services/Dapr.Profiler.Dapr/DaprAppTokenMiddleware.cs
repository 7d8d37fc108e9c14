using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Dapr.Profiler.Dapr;

/// <summary>
/// Checks the <c>dapr-api-token</c> the sidecar adds to every call it makes to the app when <c>APP_API_TOKEN</c> is
/// set: a request without it, or with another value, is answered <c>401</c>. Health paths (<c>/ready</c>,
/// <c>/healthz</c>, <c>/health</c> and below) are exempt, because Dapr's app health probes carry no token.
/// </summary>
public static class DaprAppTokenMiddleware
{
    public static IReadOnlyList<PathString> HealthPaths { get; } = [new("/ready"), new("/healthz"), new("/health")];

    /// <summary>
    /// Adds the token check. <paramref name="appApiToken"/> defaults to <see cref="DaprOptions.AppApiToken"/> when
    /// <see cref="DaprServiceCollectionExtensions.AddDaprMesh"/> registered the options, else to the
    /// <c>APP_API_TOKEN</c> configuration value; no token means no check.
    /// </summary>
    public static IApplicationBuilder UseDaprAppToken(this IApplicationBuilder app, string? appApiToken = null)
    {
        ArgumentNullException.ThrowIfNull(app);
        var token = appApiToken
            ?? app.ApplicationServices.GetService<DaprOptions>()?.AppApiToken
            ?? app.ApplicationServices.GetService<IConfiguration>()?[DaprOptions.AppApiTokenVariable];
        if (string.IsNullOrEmpty(token))
        {
            return app;
        }

        var expected = Encoding.UTF8.GetBytes(token);
        var logger = app.ApplicationServices.GetService<ILoggerFactory>()?.CreateLogger(typeof(DaprAppTokenMiddleware).FullName!)
            ?? NullLogger.Instance;
        return app.Use(async (context, next) =>
        {
            if (IsHealthPath(context.Request.Path) || HasToken(context.Request, expected))
            {
                await next(context);
                return;
            }

            Log.AppTokenRejected(logger, context.Request.Method, context.Request.Path.Value ?? string.Empty);
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            context.Response.ContentType = "text/plain";
            await context.Response.WriteAsync("invalid api token", context.RequestAborted);
        });
    }

    internal static bool IsHealthPath(PathString path) => HealthPaths.Any(p => path.StartsWithSegments(p, StringComparison.OrdinalIgnoreCase));

    private static bool HasToken(HttpRequest request, byte[] expected)
    {
        var values = request.Headers[DaprOptions.ApiTokenHeader];
        if (values.Count != 1 || values[0] is not { } given)
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), expected);
    }
}
