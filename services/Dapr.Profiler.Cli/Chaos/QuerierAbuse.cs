using Dapr.Profiler.Protos.Querier;
using Dapr.Profiler.Protos.Types;

namespace Dapr.Profiler.Cli.Chaos;

/// <summary>Random and invalid querier.v1 bodies for each method, and extreme parameters (max_nodes, limits, steps).</summary>
internal static class QuerierAbuse
{
    public static ChaosRequest Generate(ChaosContext context)
    {
        var random = context.Random;
        var method = context.Pick(QuerierCalls.Methods);
        var path = QuerierCalls.ServicePath + method;
        var end = context.NowSeconds * 1000;
        var start = end - 3_600_000;
        var selector = "{service_name=\"" + context.Service() + "\"}";
        switch (random.Next(12))
        {
            case 0:
                return context.Post(path, "application/proto", context.Bytes(random.Next(4096)), $"{method}: random bytes as proto");
            case 1:
                return context.Post(path, "application/json", context.Bytes(random.Next(4096)), $"{method}: random bytes as JSON");
            case 2:
                return context.Post(path, "application/json", ChaosContext.Utf8(context.Pick("{", "[]", "null", "1", "\"x\"", "{\"start\":\"x\"}", "{\"start\":1e400}", "{\"maxNodes\":\"-1\"}", "{\"matchers\":[1,2]}", "{\"left\":5}", "{\"step\":\"NaN\"}", new string('{', 50_000))), $"{method}: malformed JSON");
            case 3:
                return context.Post(path, context.Pick("text/plain", "application/grpc", "application/x-www-form-urlencoded", "application/json; charset=utf-16"), ChaosContext.Utf8("{}"), $"{method}: unsupported content type");
            case 4:
                return context.Post(QuerierCalls.ServicePath + context.Pick("Nope", "selectMergeStacktraces", "SelectMergeStacktraces/x", "Nope%20Method"), "application/proto", [], "unknown method");
            case 5:
                return context.Post(path, "application/proto", context.Bytes(context.Pick(5 << 20, 8 << 20)), $"{method}: body over 4 MiB");
            case 6:
                var maxNodes = context.Pick(long.MaxValue, long.MinValue, -1L, 0L, int.MaxValue + 1L);
                return QuerierCalls.Call(context, "SelectMergeStacktraces", new SelectMergeStacktracesRequest { ProfileTypeID = QuerierCalls.CpuType, LabelSelector = selector, Start = start, End = end, MaxNodes = maxNodes }, $"SelectMergeStacktraces max_nodes {maxNodes}");
            case 7:
                var profileNodes = context.Pick(long.MaxValue, -1L, long.MinValue);
                return QuerierCalls.Call(context, "SelectMergeProfile", new SelectMergeProfileRequest { ProfileTypeID = QuerierCalls.ProfileType(context), LabelSelector = selector, Start = start, End = end, MaxNodes = profileNodes }, $"SelectMergeProfile max_nodes {profileNodes}");
            case 8:
                var limit = context.Pick(-1L, long.MinValue, 0L, long.MaxValue);
                var step = context.Pick(0.001, 0, -1, double.NaN, double.PositiveInfinity, 1e-300, 1e300, 15);
                var series = new SelectSeriesRequest { ProfileTypeID = QuerierCalls.ProfileType(context), LabelSelector = selector, Start = start, End = end, Step = step, Limit = limit, Aggregation = (TimeSeriesAggregationType)context.Pick(0, 1, 99, -5) };
                series.GroupBy.AddRange(Enumerable.Range(0, context.Pick(0, 1, 1_000)).Select(i => $"l{i}"));
                return QuerierCalls.Call(context, "SelectSeries", series, $"SelectSeries limit {limit} step {step} group_by {series.GroupBy.Count}");
            case 9:
                var left = new SelectMergeStacktracesRequest { ProfileTypeID = QuerierCalls.CpuType, LabelSelector = selector, Start = start, End = end, MaxNodes = context.Pick(-1L, long.MaxValue) };
                var diff = random.Next(3) switch
                {
                    0 => new DiffRequest { Left = left },
                    1 => new DiffRequest { Right = left },
                    _ => new DiffRequest { Left = left, Right = new SelectMergeStacktracesRequest { ProfileTypeID = "memory:alloc_space:bytes:space:bytes", LabelSelector = "{", Start = end, End = start } },
                };
                return QuerierCalls.Call(context, "Diff", diff, "Diff with a side missing or invalid");
            case 10:
                var stack = new StackTraceSelector();
                stack.CallSite.AddRange(Enumerable.Range(0, context.Pick(1, 10_000)).Select(i => new Location { Name = new string('f', 1 + (i % 50)) }));
                return QuerierCalls.Call(context, "SelectMergeStacktraces", new SelectMergeStacktracesRequest { ProfileTypeID = QuerierCalls.CpuType, LabelSelector = selector, Start = start, End = end, StackTraceSelector = stack }, $"stack trace selector of {stack.CallSite.Count} frames");
            default:
                var values = new LabelValuesRequest { Name = context.Pick(string.Empty, "__name__", "service_name", new string('n', 100_000), "\u0000"), Start = start, End = end };
                values.Matchers.Add(context.Pick(string.Empty, selector, "{}"));
                return QuerierCalls.Call(context, "LabelValues", values, "LabelValues odd name");
        }
    }
}
