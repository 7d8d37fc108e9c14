using Google.Protobuf;

namespace Dapr.Profiler.Cli.Chaos;

/// <summary>Building querier.v1 Connect calls for the query categories.</summary>
internal static class QuerierCalls
{
    public const string ServicePath = "/querier.v1.QuerierService/";

    public const string CpuType = "process_cpu:cpu:nanoseconds:cpu:nanoseconds";

    public static readonly string[] Methods =
    [
        "ProfileTypes", "LabelNames", "LabelValues", "Series", "SelectMergeStacktraces", "SelectMergeProfile",
        "SelectSeries", "Diff", "GetProfileStats", "SelectMergeSpanProfile", "SelectHeatmap",
    ];

    /// <summary>The call in the binary or JSON codec, chosen by the context's random.</summary>
    public static ChaosRequest Call(ChaosContext context, string method, IMessage message, string description)
    {
        if (context.Random.Next(2) == 0)
        {
            return context.Post(ServicePath + method, "application/json", ChaosContext.Utf8(JsonFormatter.Default.Format(message)), description + " (JSON)");
        }

        return context.Post(ServicePath + method, "application/proto", message.ToByteArray(), description + " (proto)");
    }

    public static string ProfileType(ChaosContext context) =>
        context.Pick(CpuType, "memory:alloc_space:bytes:space:bytes", "goroutine:goroutine:count:goroutine:count", "a:b:c:d:e", "", ":::::", "x");
}
