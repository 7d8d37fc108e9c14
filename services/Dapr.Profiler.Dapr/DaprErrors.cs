using System.Net;
using System.Text;
using System.Text.Json;
using Dapr.Profiler.Mesh;

namespace Dapr.Profiler.Dapr;

/// <summary>Turns the sidecar's error answers back into <see cref="ServiceException"/>s with the right status.</summary>
internal static class DaprErrors
{
    private static readonly Dictionary<string, ServiceStatus> StatusByCodeName =
        Enum.GetValues<ServiceStatus>().ToDictionary(ServiceMethodEndpoints.CodeName, s => s, StringComparer.Ordinal);

    /// <summary>
    /// The exception for a non-success answer. An app error relayed through invocation (<c>{"code","message"}</c>,
    /// written by <see cref="ServiceMethodEndpoints"/>) keeps its status; a sidecar error
    /// (<c>{"errorCode","message"}</c>) is mapped by code and HTTP status.
    /// </summary>
    public static DaprApiException FromResponse(HttpStatusCode httpStatus, ReadOnlySpan<byte> body, string what, IReadOnlyDictionary<string, string>? metadata = null)
    {
        string? code = null;
        string? errorCode = null;
        string? message = null;
        if (!body.IsEmpty && body.TrimStart(" \t\r\n"u8) is [(byte)'{', ..])
        {
            try
            {
                using var document = JsonDocument.Parse(body.ToArray());
                var root = document.RootElement;
                code = GetString(root, "code");
                errorCode = GetString(root, "errorCode");
                message = GetString(root, "message");
            }
            catch (JsonException)
            {
                // Not JSON after all: the body is the message.
            }
        }

        message ??= body.IsEmpty ? httpStatus.ToString() : Truncate(Encoding.UTF8.GetString(body));
        if (code is not null && StatusByCodeName.TryGetValue(code, out var appStatus))
        {
            return new DaprApiException(appStatus, message, httpStatus, code, metadata);
        }

        var status = errorCode switch
        {
            "ERR_DIRECT_INVOKE" when httpStatus == HttpStatusCode.InternalServerError => ServiceStatus.Unavailable,
            "ERR_DIRECT_INVOKE" when httpStatus == HttpStatusCode.NotFound => ServiceStatus.InvalidArgument,
            "ERR_PUBSUB_PUBLISH_MESSAGE" => ServiceStatus.Unavailable,
            "ERR_HEALTH_NOT_READY" or "ERR_OUTBOUND_HEALTH_NOT_READY" => ServiceStatus.Unavailable,
            "ERR_PUBSUB_NOT_CONFIGURED" => ServiceStatus.FailedPrecondition,
            "ERR_MALFORMED_REQUEST" or "ERR_PUBSUB_REQUEST_METADATA" or "ERR_PUBSUB_EMPTY" or "ERR_TOPIC_NAME_EMPTY" => ServiceStatus.InvalidArgument,
            _ => FromHttpStatus(httpStatus),
        };
        return new DaprApiException(status, $"{what}: {message}", httpStatus, errorCode ?? code, metadata);
    }

    /// <summary>The status an HTTP status stands for (the inverse of <see cref="ServiceMethodEndpoints.HttpStatus"/>).</summary>
    public static ServiceStatus FromHttpStatus(HttpStatusCode httpStatus) => (int)httpStatus switch
    {
        400 => ServiceStatus.InvalidArgument,
        401 => ServiceStatus.Unauthenticated,
        403 => ServiceStatus.PermissionDenied,
        404 => ServiceStatus.NotFound,
        408 => ServiceStatus.DeadlineExceeded,
        409 => ServiceStatus.AlreadyExists,
        412 => ServiceStatus.FailedPrecondition,
        413 or 429 => ServiceStatus.ResourceExhausted,
        501 => ServiceStatus.Unimplemented,
        502 or 503 => ServiceStatus.Unavailable,
        504 => ServiceStatus.DeadlineExceeded,
        _ => ServiceStatus.Internal,
    };

    /// <summary>No answer at all: the sidecar cannot be reached.</summary>
    public static DaprApiException Unreachable(string what, Exception exception) =>
        new(ServiceStatus.Unavailable, $"{what}: the Dapr sidecar cannot be reached ({exception.Message})", exception);

    private static string? GetString(JsonElement root, string name) =>
        root.ValueKind == JsonValueKind.Object && root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    private static string Truncate(string text) => text.Length <= 1024 ? text.Trim() : text[..1024].Trim() + "…";
}
