using System.Globalization;
using Dapr.Profiler.Protos.Querier;
using Dapr.Profiler.Protos.Types;

namespace Dapr.Profiler.Cli.Chaos;

/// <summary>Inverted, huge, negative and overflowing time ranges for each kind of query, and for render.</summary>
internal static class TimeRangeAbuse
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static ChaosRequest Generate(ChaosContext context)
    {
        var nowMs = context.NowSeconds * 1000;
        var (start, end, what) = context.Random.Next(8) switch
        {
            0 => (nowMs, nowMs - 3_600_000, "inverted"),
            1 => (0L, long.MaxValue, "0 to int64 max"),
            2 => (long.MinValue, long.MaxValue, "int64 min to max"),
            3 => (-3_600_000L, -1L, "negative"),
            4 => (nowMs * 1_000_000, nowMs * 1_000_000 + 3_600_000_000_000, "nanoseconds instead of milliseconds"),
            5 => (long.MaxValue - 1, long.MaxValue, "at int64 max"),
            6 => (0L, 0L, "empty at the epoch"),
            _ => (long.MinValue, long.MinValue + 1, "at int64 min"),
        };
        var selector = "{service_name=\"" + context.Service() + "\"}";
        var description = $"{what} [{start}, {end}]";
        switch (context.Random.Next(7))
        {
            case 0:
                return QuerierCalls.Call(context, "SelectMergeStacktraces", new SelectMergeStacktracesRequest { ProfileTypeID = QuerierCalls.CpuType, LabelSelector = selector, Start = start, End = end }, "SelectMergeStacktraces " + description);
            case 1:
                return QuerierCalls.Call(context, "SelectSeries", new SelectSeriesRequest { ProfileTypeID = QuerierCalls.CpuType, LabelSelector = selector, Start = start, End = end, Step = context.Pick(1, 15, 3600) }, "SelectSeries " + description);
            case 2:
                var values = new LabelValuesRequest { Name = "service_name", Start = start, End = end };
                return QuerierCalls.Call(context, "LabelValues", values, "LabelValues " + description);
            case 3:
                var series = new SeriesRequest { Start = start, End = end };
                series.Matchers.Add(selector);
                return QuerierCalls.Call(context, "Series", series, "Series " + description);
            case 4:
                return QuerierCalls.Call(context, "ProfileTypes", new ProfileTypesRequest { Start = start, End = end }, "ProfileTypes " + description);
            case 5:
                return QuerierCalls.Call(context, "SelectMergeProfile", new SelectMergeProfileRequest { ProfileTypeID = QuerierCalls.CpuType, LabelSelector = selector, Start = start, End = end }, "SelectMergeProfile " + description);
            default:
                var (from, until) = context.Pick(
                    (start.ToString(Inv), end.ToString(Inv)),
                    ("now", "now-1h"),
                    ("now-99999999999h", "now"),
                    ("-9223372036854775808", "9223372036854775807"),
                    ("99999999999999999999", "now"),
                    ("abc", "def"),
                    ("now-1h", "now+100y"));
                return context.Get($"/pyroscope/render?query={Uri.EscapeDataString(QuerierCalls.CpuType + selector)}&from={Uri.EscapeDataString(from)}&until={Uri.EscapeDataString(until)}", $"render from={from} until={until}");
        }
    }
}
