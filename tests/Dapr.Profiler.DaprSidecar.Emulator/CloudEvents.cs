using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Dapr.Profiler.DaprSidecar.Emulator;

/// <summary>Builds the CloudEvent envelopes daprd publishes (reference §3).</summary>
public static class CloudEvents
{
    /// <summary>Content type of a caller-supplied CloudEvent and of deliveries.</summary>
    public const string ContentType = "application/cloudevents+json";

    /// <summary>Event type daprd stamps on envelopes it builds.</summary>
    public const string EventType = "com.dapr.event.sent";

    /// <summary>Builds the envelope for a publish; <paramref name="overrides"/> are the <c>cloudevent.*</c> metadata keys (without prefix).</summary>
    public static byte[] BuildEnvelope(
        byte[] body,
        string? contentType,
        string source,
        string pubsub,
        string topic,
        string traceParent,
        string traceState,
        IReadOnlyDictionary<string, string> overrides)
    {
        ArgumentNullException.ThrowIfNull(body);
        ArgumentNullException.ThrowIfNull(overrides);
        var dataContentType = string.IsNullOrEmpty(contentType) ? "text/plain" : contentType;
        var envelope = new JsonObject
        {
            ["id"] = Guid.NewGuid().ToString(),
            ["specversion"] = "1.0",
            ["source"] = source,
            ["type"] = EventType,
            ["datacontenttype"] = dataContentType,
            ["topic"] = topic,
            ["pubsubname"] = pubsub,
            ["traceid"] = traceParent,
            ["traceparent"] = traceParent,
            ["tracestate"] = traceState,
            ["time"] = Rfc3339Now(),
        };

        if (IsJson(dataContentType))
        {
            try
            {
                envelope["data"] = JsonNode.Parse(body);
            }
            catch (JsonException)
            {
                envelope["data"] = Encoding.UTF8.GetString(body);
            }
        }
        else if (IsOctetStream(dataContentType))
        {
            envelope["data_base64"] = Convert.ToBase64String(body);
        }
        else
        {
            envelope["data"] = Encoding.UTF8.GetString(body);
        }

        foreach (var (key, value) in overrides)
        {
            if (key is "id" or "source" or "type" or "subject" or "traceid" or "traceparent" or "tracestate")
            {
                envelope[key] = value;
            }
        }

        return Serialize(envelope);
    }

    /// <summary>Completes a caller-supplied CloudEvent: sets topic/pubsubname, fills missing fields. Throws <see cref="JsonException"/> if not a JSON object.</summary>
    public static byte[] CompleteCallerEvent(byte[] body, string pubsub, string topic, string traceParent, string traceState)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (JsonNode.Parse(body) is not JsonObject envelope)
        {
            throw new JsonException("the CloudEvent must be a JSON object");
        }

        envelope["topic"] = topic;
        envelope["pubsubname"] = pubsub;
        FillMissing(envelope, "time", Rfc3339Now());
        FillMissing(envelope, "traceid", traceParent);
        FillMissing(envelope, "traceparent", traceParent);
        FillMissing(envelope, "tracestate", traceState);
        FillMissing(envelope, "source", "Dapr");
        FillMissing(envelope, "type", EventType);
        FillMissing(envelope, "specversion", "1.0");
        return Serialize(envelope);
    }

    /// <summary>The CloudEvent a rawPayload subscription receives: raw bytes in <c>data_base64</c>.</summary>
    public static byte[] WrapRaw(byte[] raw, string pubsub, string topic)
    {
        ArgumentNullException.ThrowIfNull(raw);
        var envelope = new JsonObject
        {
            ["id"] = Guid.NewGuid().ToString(),
            ["specversion"] = "1.0",
            ["source"] = pubsub,
            ["type"] = EventType,
            ["datacontenttype"] = "application/octet-stream",
            ["topic"] = topic,
            ["pubsubname"] = pubsub,
            ["time"] = Rfc3339Now(),
            ["data_base64"] = Convert.ToBase64String(raw),
        };
        return Serialize(envelope);
    }

    /// <summary>A new W3C traceparent with random ids, sampled.</summary>
    public static string NewTraceParent()
    {
        Span<byte> bytes = stackalloc byte[24];
        RandomNumberGenerator.Fill(bytes);
        return "00-" + Convert.ToHexStringLower(bytes[..16]) + "-" + Convert.ToHexStringLower(bytes[16..]) + "-01";
    }

    private static void FillMissing(JsonObject envelope, string key, string value)
    {
        if (!envelope.ContainsKey(key))
        {
            envelope[key] = value;
        }
    }

    private static string Rfc3339Now() =>
        DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static bool IsJson(string contentType) => MediaType(contentType) == "application/json";

    private static bool IsOctetStream(string contentType) => MediaType(contentType) == "application/octet-stream";

    private static string? MediaType(string contentType) =>
        MediaTypeHeaderValue.TryParse(contentType, out var parsed) ? parsed.MediaType?.ToLowerInvariant() : null;

    /// <summary>Envelopes are serialized from a map in Go: keys in alphabetical order.</summary>
    private static byte[] Serialize(JsonObject envelope)
    {
        var sorted = new JsonObject();
        foreach (var key in envelope.Select(p => p.Key).Order(StringComparer.Ordinal).ToList())
        {
            var value = envelope[key];
            envelope.Remove(key);
            sorted[key] = value;
        }

        return JsonSerializer.SerializeToUtf8Bytes(sorted);
    }
}
