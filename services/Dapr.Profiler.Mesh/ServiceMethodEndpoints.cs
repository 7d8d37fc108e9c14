using System.Text.Json;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Dapr.Profiler.Mesh;

/// <summary>
/// The app side of service invocation: every registered method answers <c>POST /{method}</c> with a protobuf
/// body, which is where Dapr forwards <c>/v1.0/invoke/{appId}/method/{method}</c>. Errors are a status code with
/// a JSON body <c>{"code": "...", "message": "..."}</c>, which the Dapr client turns back into a
/// <see cref="ServiceException"/>.
/// </summary>
public static class ServiceMethodEndpoints
{
    public const string ProtobufContentType = "application/x-protobuf";

    /// <summary>Largest request body a service method accepts (a segment push carries one decoded profile).</summary>
    public const int MaxRequestBytes = 256 * 1024 * 1024;

    public static IEndpointConventionBuilder MapServiceMethods(this IEndpointRouteBuilder endpoints, ServiceMethodRegistry registry, Func<string, bool> hosted)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(registry);
        return endpoints.MapPost("/{service}/{method}", async (HttpContext context, string service, string method) =>
        {
            var name = $"{service}/{method}";
            var target = registry.Methods.FirstOrDefault(m => m.Method == name && hosted(m.AppId));
            if (target is null)
            {
                await WriteErrorAsync(context, ServiceStatus.NotFound, $"no method {name} is hosted here");
                return;
            }

            IMessage request;
            try
            {
                using var buffer = new MemoryStream();
                await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
                if (buffer.Length > MaxRequestBytes)
                {
                    await WriteErrorAsync(context, ServiceStatus.InvalidArgument, $"request body exceeds {MaxRequestBytes} bytes");
                    return;
                }

                request = target.RequestParser.ParseFrom(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
            }
            catch (InvalidProtocolBufferException ex)
            {
                await WriteErrorAsync(context, ServiceStatus.InvalidArgument, $"invalid protobuf request: {ex.Message}");
                return;
            }

            try
            {
                var response = await target.Handler(request, context.RequestAborted);
                context.Response.ContentType = ProtobufContentType;
                await context.Response.Body.WriteAsync(response.ToByteArray(), context.RequestAborted);
            }
            catch (ServiceException ex)
            {
                await WriteErrorAsync(context, ex.Status, ex.Message);
            }
        });
    }

    /// <summary>The HTTP status a service status travels as.</summary>
    public static int HttpStatus(ServiceStatus status) => status switch
    {
        ServiceStatus.InvalidArgument or ServiceStatus.FailedPrecondition => StatusCodes.Status400BadRequest,
        ServiceStatus.Unauthenticated => StatusCodes.Status401Unauthorized,
        ServiceStatus.PermissionDenied => StatusCodes.Status403Forbidden,
        ServiceStatus.NotFound => StatusCodes.Status404NotFound,
        ServiceStatus.AlreadyExists => StatusCodes.Status409Conflict,
        ServiceStatus.ResourceExhausted => StatusCodes.Status429TooManyRequests,
        ServiceStatus.Unimplemented => StatusCodes.Status501NotImplemented,
        ServiceStatus.Unavailable => StatusCodes.Status503ServiceUnavailable,
        ServiceStatus.DeadlineExceeded => StatusCodes.Status504GatewayTimeout,
        _ => StatusCodes.Status500InternalServerError,
    };

    /// <summary>The Connect code name of a service status (<c>invalid_argument</c>, ...).</summary>
    public static string CodeName(ServiceStatus status) => JsonNamingPolicy.SnakeCaseLower.ConvertName(status.ToString());

    private static async Task WriteErrorAsync(HttpContext context, ServiceStatus status, string message)
    {
        context.Response.StatusCode = HttpStatus(status);
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(JsonSerializer.Serialize(new { code = CodeName(status), message }), context.RequestAborted);
    }
}
