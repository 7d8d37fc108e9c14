using System.Net;
using System.Text.Json;

namespace Dapr.Profiler.Server.FunctionalTests.Support;

/// <summary>What the server answered: status, body and, for errors, the Connect code and message.</summary>
public sealed record Answer(HttpStatusCode Status, string? ContentType, byte[] Body)
{
    public int StatusCode => (int)Status;

    public string Text => System.Text.Encoding.UTF8.GetString(Body);

    /// <summary>The Connect error code of a <c>{"code","message"}</c> body, or null.</summary>
    public string? Code => Field("code");

    /// <summary>The message of a <c>{"code","message"}</c> body, or null.</summary>
    public string? Message => Field("message");

    public static async Task<Answer> ReadAsync(HttpResponseMessage response, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(response);
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        return new Answer(response.StatusCode, response.Content.Headers.ContentType?.MediaType, body);
    }

    public override string ToString() => $"{StatusCode} {ContentType}: {Text}";

    private string? Field(string name)
    {
        if (Body.Length == 0 || Body[0] != (byte)'{')
        {
            return null;
        }

        try
        {
            using var doc = JsonDocument.Parse(Body);
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty(name, out var value)
                ? value.GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
