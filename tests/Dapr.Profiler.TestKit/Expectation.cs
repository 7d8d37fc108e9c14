using System.Globalization;
using System.Text.Json;

namespace Dapr.Profiler.TestKit;

/// <summary>What an independent reader found in one corpus profile.</summary>
public sealed record Expectation(
    IReadOnlyList<(string Type, string Unit)> SampleTypes,
    (string Type, string Unit)? PeriodType,
    long Period,
    long DurationNanos,
    long TimeNanos,
    string DefaultSampleType,
    int SampleCount,
    IReadOnlyDictionary<string, long> Totals,
    IReadOnlyDictionary<string, IReadOnlyList<(string Function, long Self)>> TopSelf,
    IReadOnlyDictionary<string, IReadOnlyDictionary<string, long>> FunctionSelf)
{
    internal static Expectation FromJson(JsonElement root)
    {
        var sampleTypes = root.GetProperty("sampleTypes").EnumerateArray()
            .Select(e => (e.GetProperty("type").GetString() ?? string.Empty, e.GetProperty("unit").GetString() ?? string.Empty))
            .ToArray();
        (string, string)? periodType = null;
        if (root.TryGetProperty("periodType", out var pt) && pt.ValueKind == JsonValueKind.Object)
        {
            periodType = (pt.GetProperty("type").GetString() ?? string.Empty, pt.GetProperty("unit").GetString() ?? string.Empty);
        }

        var totals = root.GetProperty("totals").EnumerateObject().ToDictionary(p => p.Name, p => Number(p.Value));
        var top = root.TryGetProperty("topSelf", out var topSelf)
            ? topSelf.EnumerateObject().ToDictionary(
                p => p.Name,
                p => (IReadOnlyList<(string, long)>)p.Value.EnumerateArray()
                    .Select(e => (e.GetProperty("function").GetString() ?? string.Empty, Number(e.GetProperty("self"))))
                    .ToArray())
            : [];
        var functionSelf = root.TryGetProperty("functionSelf", out var fs)
            ? fs.EnumerateObject().ToDictionary(
                p => p.Name,
                p => (IReadOnlyDictionary<string, long>)p.Value.EnumerateObject().ToDictionary(q => q.Name, q => Number(q.Value)))
            : [];
        return new Expectation(
            sampleTypes,
            periodType,
            Optional(root, "period"),
            Optional(root, "durationNanos"),
            Optional(root, "timeNanos"),
            root.TryGetProperty("defaultSampleType", out var d) ? d.GetString() ?? string.Empty : string.Empty,
            root.TryGetProperty("sampleCount", out var sc) ? (int)Number(sc) : 0,
            totals,
            top,
            functionSelf);
    }

    private static long Optional(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? Number(value) : 0;

    private static long Number(JsonElement value) => value.ValueKind == JsonValueKind.String
        ? long.Parse(value.GetString() ?? "0", CultureInfo.InvariantCulture)
        : value.GetInt64();
}
