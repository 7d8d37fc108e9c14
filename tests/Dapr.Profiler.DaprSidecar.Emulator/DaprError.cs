using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Dapr.Profiler.DaprSidecar.Emulator;

/// <summary>daprd's JSON error body <c>{"errorCode","message"}</c>.</summary>
internal static class DaprError
{
    public static async Task WriteAsync(HttpContext context, int status, string errorCode, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        var body = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string>
        {
            ["errorCode"] = errorCode,
            ["message"] = message,
        });
        await context.Response.Body.WriteAsync(body, context.RequestAborted);
    }
}
