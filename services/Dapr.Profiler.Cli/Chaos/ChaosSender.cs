using System.Text;
using System.Text.Json;

namespace Dapr.Profiler.Cli.Chaos;

/// <summary>What happened to one request: its HTTP status (null when none came back) and, if it broke a rule, why.</summary>
internal sealed record ChaosOutcome(ChaosRequest Request, int? Status, string? Problem, string Message);

/// <summary>Sends chaos requests and checks each answer: no 5xx, a message in every 4xx, an answer at all.</summary>
internal static class ChaosSender
{
    public static async Task<ChaosOutcome> SendAsync(HttpClient http, ChaosRequest request, CancellationToken cancellationToken)
    {
        using var message = new HttpRequestMessage(new HttpMethod(request.Method), request.PathAndQuery.TrimStart('/'));
        if (request.Method != "GET")
        {
            var content = new ByteArrayContent(request.Body);
            if (request.ContentType is { } contentType && !content.Headers.TryAddWithoutValidation("Content-Type", contentType))
            {
                throw new InvalidOperationException($"cannot send Content-Type {contentType}");
            }

            if (request.ContentEncoding is { } encoding)
            {
                content.Headers.ContentEncoding.Add(encoding);
            }

            message.Content = content;
        }

        try
        {
            using var response = await http.SendAsync(message, cancellationToken);
            var status = (int)response.StatusCode;
            var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            var text = Encoding.UTF8.GetString(bytes, 0, Math.Min(bytes.Length, 4096)).Trim();
            string? problem = status switch
            {
                501 when IsUnimplemented(text) => null,
                >= 500 => "server error",
                >= 400 => MessageProblem(text),
                _ => null,
            };
            return new ChaosOutcome(request, status, problem, text);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            var what = ex is TaskCanceledException ? $"no answer within {http.Timeout.TotalSeconds:0} s" : "request failed: " + ex.Message + (ex.InnerException is { } inner ? " (" + inner.Message + ")" : string.Empty);
            return new ChaosOutcome(request, null, what, string.Empty);
        }
    }

    /// <summary>
    /// A Connect <c>unimplemented</c> error with a message: the server saying truthfully that it does not offer a
    /// method (querier.v1 SelectHeatmap), which Connect maps to 501; not a fault.
    /// </summary>
    private static bool IsUnimplemented(string body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            return json.RootElement.ValueKind == JsonValueKind.Object
                && json.RootElement.TryGetProperty("code", out var code) && code.ValueKind == JsonValueKind.String && code.GetString() == "unimplemented"
                && MessageProblem(body) is null;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>Why a 4xx body does not tell the sender what was wrong, or null when it does.</summary>
    internal static string? MessageProblem(string body)
    {
        if (body.Length == 0)
        {
            return "4xx with an empty body";
        }

        if (body[0] != '{')
        {
            return null;
        }

        try
        {
            using var json = JsonDocument.Parse(body);
            if (json.RootElement.ValueKind == JsonValueKind.Object
                && (!json.RootElement.TryGetProperty("message", out var text) || text.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(text.GetString())))
            {
                return "4xx JSON error without a message";
            }
        }
        catch (JsonException)
        {
            // Not JSON after all (or cut at 4 KiB): the text itself is the message.
        }

        return null;
    }
}
