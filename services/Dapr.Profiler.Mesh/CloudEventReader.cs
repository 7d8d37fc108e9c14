using System.Text;
using System.Text.Json;

namespace Dapr.Profiler.Mesh;

/// <summary>
/// Reads a structured CloudEvent (<c>application/cloudevents+json</c>) into the <see cref="TopicEvent"/> a subscriber
/// sees, as Dapr delivers it: <c>data_base64</c> or <c>data</c>, the declared <c>datacontenttype</c>, and every
/// other top-level string attribute as an extension (<see cref="TopicEvent.Extensions"/>).
/// </summary>
public static class CloudEventReader
{
    /// <summary>The content type of a structured CloudEvent.</summary>
    public const string ContentType = "application/cloudevents+json";

    /// <summary>The event type Dapr stamps on envelopes it builds.</summary>
    public const string DefaultEventType = "com.dapr.event.sent";

    private const string OctetStream = "application/octet-stream";
    private const string JsonContentType = "application/json";

    /// <summary>Attributes of the CloudEvents core and of Dapr's envelope; the rest are extensions.</summary>
    private static readonly HashSet<string> KnownAttributes = new(StringComparer.Ordinal)
    {
        "id", "source", "specversion", "type", "datacontenttype", "dataschema", "subject", "time", "data", "data_base64",
        "topic", "pubsubname", "traceid", "traceparent", "tracestate", "expiration",
    };

    /// <summary>Whether a content type (parameters allowed) is a structured CloudEvent.</summary>
    public static bool IsCloudEvent(string? contentType) =>
        string.Equals(MediaType(contentType), ContentType, StringComparison.OrdinalIgnoreCase);

    /// <summary>The media type of a content type, without parameters; null when there is none.</summary>
    public static string? MediaType(string? contentType)
    {
        if (string.IsNullOrEmpty(contentType))
        {
            return null;
        }

        var semicolon = contentType.IndexOf(';', StringComparison.Ordinal);
        return (semicolon < 0 ? contentType : contentType[..semicolon]).Trim();
    }

    /// <summary>Parses a structured CloudEvent body.</summary>
    /// <exception cref="MalformedEventException">The body is not a JSON object with a <c>specversion</c>.</exception>
    public static TopicEvent Parse(ReadOnlyMemory<byte> body, string pubSubName, string topic)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException ex)
        {
            throw new MalformedEventException($"the CloudEvent is not JSON: {ex.Message}");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("specversion", out _))
            {
                throw new MalformedEventException("the CloudEvent has no specversion");
            }

            return Read(root, pubSubName, topic);
        }
    }

    /// <summary>Reads a parsed CloudEvent object.</summary>
    /// <exception cref="MalformedEventException">An attribute has the wrong type or <c>data_base64</c> is not base64.</exception>
    public static TopicEvent Read(JsonElement root, string pubSubName, string topic)
    {
        var declared = OptionalString(root, "datacontenttype");
        var (data, dataContentType) = ReadData(root, declared);
        return new TopicEvent(
            OptionalString(root, "id") ?? Guid.NewGuid().ToString(),
            OptionalString(root, "source") ?? string.Empty,
            OptionalString(root, "type") ?? DefaultEventType,
            OptionalString(root, "pubsubname") ?? pubSubName,
            OptionalString(root, "topic") ?? topic,
            dataContentType,
            data)
        {
            Extensions = ReadExtensions(root),
        };
    }

    private static (byte[] Data, string ContentType) ReadData(JsonElement root, string? declared)
    {
        if (root.TryGetProperty("data_base64", out var base64) && base64.ValueKind != JsonValueKind.Null)
        {
            if (base64.ValueKind != JsonValueKind.String || !base64.TryGetBytesFromBase64(out var bytes))
            {
                throw new MalformedEventException("data_base64 is not a base64 string");
            }

            return (bytes, declared ?? OctetStream);
        }

        if (!root.TryGetProperty("data", out var value))
        {
            return ([], declared ?? JsonContentType);
        }

        return value.ValueKind switch
        {
            JsonValueKind.String => (Encoding.UTF8.GetBytes(value.GetString()!), declared ?? "text/plain"),
            JsonValueKind.Null or JsonValueKind.Undefined => ([], declared ?? JsonContentType),
            _ => (Encoding.UTF8.GetBytes(value.GetRawText()), JsonContentType),
        };
    }

    private static Dictionary<string, string>? ReadExtensions(JsonElement root)
    {
        Dictionary<string, string>? extensions = null;
        foreach (var property in root.EnumerateObject())
        {
            if (KnownAttributes.Contains(property.Name))
            {
                continue;
            }

            var value = property.Value.ValueKind switch
            {
                JsonValueKind.String => property.Value.GetString(),
                JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => property.Value.GetRawText(),
                _ => null,
            };
            if (value is not null)
            {
                (extensions ??= new Dictionary<string, string>(StringComparer.Ordinal))[property.Name] = value;
            }
        }

        return extensions;
    }

    private static string? OptionalString(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : throw new MalformedEventException($"the CloudEvent attribute {name} is not a string");
    }
}

/// <summary>A body that cannot be read as an event; Dapr's answer to it is DROP.</summary>
public sealed class MalformedEventException(string message) : Exception(message);
