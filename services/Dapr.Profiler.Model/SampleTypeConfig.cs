using System.Text.Json;

namespace Dapr.Profiler.Model;

/// <summary>One entry of the <c>sample_type_config</c> part of a multipart <c>/ingest</c>.</summary>
public sealed record SampleTypeSettings(string? Units, string? DisplayName, string? Aggregation, bool Cumulative, bool Sampled);

/// <summary>
/// The <c>sample_type_config</c> JSON sent with multipart pprof uploads. Only the display name has an effect
/// on what is stored (it picks <c>__name__</c>); a user-supplied config replaces the default one whole.
/// </summary>
public sealed class SampleTypeConfig
{
    public SampleTypeConfig(IReadOnlyDictionary<string, SampleTypeSettings> entries)
    {
        Entries = entries;
    }

    /// <summary>Pyroscope's mapping when the client sends none.</summary>
    public static SampleTypeConfig Default { get; } = new(new Dictionary<string, SampleTypeSettings>(StringComparer.Ordinal)
    {
        ["samples"] = new("samples", "cpu", null, false, true),
        ["inuse_objects"] = new("objects", null, "average", false, false),
        ["alloc_objects"] = new("objects", null, null, true, false),
        ["inuse_space"] = new("bytes", null, "average", false, false),
        ["alloc_space"] = new("bytes", null, null, true, false),
        ["goroutine"] = new("goroutines", "goroutines", "average", false, false),
        ["contentions"] = new("lock_samples", "mutex_count", null, true, false),
        ["delay"] = new("lock_nanoseconds", "mutex_duration", null, true, false),
    });

    public IReadOnlyDictionary<string, SampleTypeSettings> Entries { get; }

    /// <summary>The display name of a sample type, or the type itself when the config gives none.</summary>
    public string DisplayName(string sampleType) =>
        Entries.TryGetValue(sampleType, out var settings) && !string.IsNullOrEmpty(settings.DisplayName)
            ? settings.DisplayName
            : sampleType;

    /// <exception cref="MalformedProfileException">The JSON is not a sample type config.</exception>
    public static SampleTypeConfig Parse(ReadOnlySpan<byte> json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json.ToArray());
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new MalformedProfileException("sample_type_config must be a JSON object");
            }

            var entries = new Dictionary<string, SampleTypeSettings>(StringComparer.Ordinal);
            foreach (var property in doc.RootElement.EnumerateObject())
            {
                if (property.Value.ValueKind != JsonValueKind.Object)
                {
                    throw new MalformedProfileException($"sample_type_config entry \"{property.Name}\" must be a JSON object");
                }

                var v = property.Value;
                entries[property.Name] = new SampleTypeSettings(
                    Text(v, "units"),
                    Text(v, "display-name"),
                    Text(v, "aggregation"),
                    Flag(v, "cumulative"),
                    Flag(v, "sampled"));
            }

            return new SampleTypeConfig(entries);
        }
        catch (JsonException ex)
        {
            throw new MalformedProfileException($"invalid sample_type_config JSON: {ex.Message}", ex);
        }
    }

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static bool Flag(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.True;
}
