using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;

namespace Dapr.Profiler.Server;

/// <summary>
/// Every error the server answers carries a message: an error response that no API wrote a body for (no route, a
/// method a route does not take, a request the framework refused) gets <c>{"code":"…","message":"…"}</c>, the
/// shape of the API errors, naming the method and path.
/// </summary>
internal static class EmptyErrorBodies
{
    public static IApplicationBuilder UseMessagesOnEmptyErrors(this IApplicationBuilder app) =>
        app.UseStatusCodePages(WriteAsync);

    private static Task WriteAsync(StatusCodeContext context)
    {
        var http = context.HttpContext;
        var status = http.Response.StatusCode;
        var (code, text) = status switch
        {
            StatusCodes.Status404NotFound => ("not_found", "no such route"),
            StatusCodes.Status405MethodNotAllowed => ("unimplemented", "the route does not take this HTTP method"),
            StatusCodes.Status401Unauthorized => ("unauthenticated", "not authenticated"),
            StatusCodes.Status403Forbidden => ("permission_denied", "forbidden"),
            StatusCodes.Status413PayloadTooLarge => ("resource_exhausted", "the request body is too large"),
            StatusCodes.Status415UnsupportedMediaType => ("unimplemented", "unsupported content type"),
            < 500 => ("invalid_argument", "bad request"),
            _ => ("internal", "internal error"),
        };
        http.Response.ContentType = "application/json";
        var message = $"{text}: {http.Request.Method} {http.Request.Path}";
        return http.Response.WriteAsync(JsonSerializer.Serialize(new ErrorBody(code, message), ErrorBodyContext.Default.ErrorBody), http.RequestAborted);
    }
}

internal sealed record ErrorBody(string code, string message);

[System.Text.Json.Serialization.JsonSerializable(typeof(ErrorBody))]
internal sealed partial class ErrorBodyContext : System.Text.Json.Serialization.JsonSerializerContext;
