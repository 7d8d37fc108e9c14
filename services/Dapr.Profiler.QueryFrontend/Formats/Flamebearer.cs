using System.Text.Json;
using Dapr.Profiler.Model;
using Dapr.Profiler.Protos.Querier;

namespace Dapr.Profiler.QueryFrontend;

/// <summary>
/// The flamebearer JSON of Pyroscope's render API (<c>ExportToFlamebearer</c>, <c>ExportDiffToFlamebearer</c>), which
/// the legacy UI and <c>@pyroscope/flamegraph</c> draw: <c>{version, flamebearer, metadata, timeline, groups, heatmap}</c>.
/// </summary>
internal static class Flamebearer
{
    /// <summary>
    /// The units and sample rate the UI formats values with: <c>objects</c> for inuse_objects, alloc_objects,
    /// goroutine and samples; <c>samples</c> at 1e9 Hz for cpu; otherwise the sample unit at 100 Hz.
    /// </summary>
    public static (string Units, uint SampleRate) Metadata(ProfileTypeId type)
    {
        ArgumentNullException.ThrowIfNull(type);
        return type.SampleType switch
        {
            "inuse_objects" or "alloc_objects" or "goroutine" or "samples" => ("objects", 100u),
            "cpu" => ("samples", 1_000_000_000u),
            _ => (type.SampleUnit, 100u),
        };
    }

    /// <summary>A single flame graph with its timeline and, with group-by, one timeline per group value.</summary>
    public static byte[] Single(FlameGraph? flameGraph, ProfileTypeId type, Timeline? timeline, IReadOnlyDictionary<string, Timeline>? groups)
    {
        flameGraph ??= new FlameGraph();
        return Write(type, "single", flameGraph.Names, flameGraph.Levels, flameGraph.Total, flameGraph.MaxSelf, 0, 0, timeline, groups);
    }

    /// <summary>A diff flame graph (7 values per node, <c>format: "double"</c>, left and right ticks).</summary>
    public static byte[] Double(FlameGraphDiff? diff, ProfileTypeId type)
    {
        diff ??= new FlameGraphDiff();
        return Write(type, "double", diff.Names, diff.Levels, diff.Total, diff.MaxSelf, diff.LeftTicks, diff.RightTicks, null, null);
    }

    private static byte[] Write(
        ProfileTypeId type,
        string format,
        IEnumerable<string> names,
        IEnumerable<Level> levels,
        long total,
        long maxSelf,
        long leftTicks,
        long rightTicks,
        Timeline? timeline,
        IReadOnlyDictionary<string, Timeline>? groups)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("version", 1);
            json.WriteStartObject("flamebearer");
            json.WriteStartArray("names");
            foreach (var name in names)
            {
                json.WriteStringValue(name);
            }

            json.WriteEndArray();
            json.WriteStartArray("levels");
            foreach (var level in levels)
            {
                json.WriteStartArray();
                foreach (var value in level.Values)
                {
                    json.WriteNumberValue(value);
                }

                json.WriteEndArray();
            }

            json.WriteEndArray();
            json.WriteNumber("numTicks", total);
            json.WriteNumber("maxSelf", maxSelf);
            json.WriteEndObject();

            var (units, sampleRate) = Metadata(type);
            json.WriteStartObject("metadata");
            json.WriteString("format", format);
            json.WriteString("spyName", string.Empty);
            json.WriteNumber("sampleRate", sampleRate);
            json.WriteString("units", units);
            json.WriteString("name", type.SampleType);
            json.WriteEndObject();

            json.WritePropertyName("timeline");
            WriteTimeline(json, timeline);
            json.WritePropertyName("groups");
            if (groups is null)
            {
                json.WriteNullValue();
            }
            else
            {
                json.WriteStartObject();
                foreach (var (key, group) in groups.OrderBy(g => g.Key, StringComparer.Ordinal))
                {
                    json.WritePropertyName(key);
                    WriteTimeline(json, group);
                }

                json.WriteEndObject();
            }

            json.WriteNull("heatmap");
            if (leftTicks != 0)
            {
                json.WriteNumber("leftTicks", leftTicks);
            }

            if (rightTicks != 0)
            {
                json.WriteNumber("rightTicks", rightTicks);
            }

            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    private static void WriteTimeline(Utf8JsonWriter json, Timeline? timeline)
    {
        if (timeline is null)
        {
            json.WriteNullValue();
            return;
        }

        json.WriteStartObject();
        json.WriteNumber("startTime", timeline.StartTime);
        json.WriteStartArray("samples");
        foreach (var sample in timeline.Samples)
        {
            json.WriteNumberValue(sample);
        }

        json.WriteEndArray();
        json.WriteNumber("durationDelta", timeline.DurationDelta);
        json.WriteStartObject("watermarks");
        json.WriteEndObject();
        json.WriteEndObject();
    }
}
