using System.Text.Json;
using Dapr.Profiler.Mesh;
using Microsoft.AspNetCore.Http;

namespace Dapr.Profiler.ServiceDefaults;

/// <summary>
/// Writes Connect error answers: a non-200 status with <c>Content-Type: application/json</c> and the body
/// <c>{"code":"invalid_argument","message":"…"}</c>. Connect clients (connect-go in Grafana) read the code from
/// the body; other clients fall back to the status.
/// </summary>
public static class ConnectError
{
    /// <summary>Writes the error with the status Connect maps the code to (<see cref="ServiceMethodEndpoints.HttpStatus"/>).</summary>
    public static Task WriteAsync(HttpContext context, ServiceStatus status, string message) =>
        WriteAsync(context, ServiceMethodEndpoints.HttpStatus(status), ServiceMethodEndpoints.CodeName(status), message);

    /// <summary>
    /// Writes an error with an explicit HTTP status and Connect code (for the cases the code alone does not decide,
    /// e.g. 404 <c>unimplemented</c> for an unknown procedure or 413 on Pyroscope's <c>/ingest</c>). Does nothing
    /// once the response has started.
    /// </summary>
    public static async Task WriteAsync(HttpContext context, int httpStatus, string code, string message)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(code);
        ArgumentNullException.ThrowIfNull(message);
        var response = context.Response;
        if (response.HasStarted)
        {
            return;
        }

        response.StatusCode = httpStatus;
        response.ContentType = "application/json";
        response.Headers.ContentEncoding = default;
        using var buffer = new MemoryStream();
        await using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("code", code);
            json.WriteString("message", message);
            json.WriteEndObject();
        }

        response.ContentLength = buffer.Length;
        await response.Body.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), context.RequestAborted);
    }
}
