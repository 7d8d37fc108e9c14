using Dapr.Profiler.Protos.Pprof;

namespace Dapr.Profiler.Model;

/// <summary>
/// Builds the series labels of a profile pushed through <c>/ingest</c>, as Pyroscope does: the metric name
/// heuristic, <c>__delta__</c>, <c>pyroscope_spy</c>, <c>service_name</c> and the allowed tags.
/// </summary>
public static class IngestLabels
{
    /// <summary>Labels for a pprof upload. <paramref name="config"/> null means the default mapping.</summary>
    public static List<LabelPair> ForPprof(Profile profile, IngestName name, string spyName, SampleTypeConfig? config)
    {
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(name);
        var labels = new List<LabelPair>
        {
            new(LabelNames.MetricName, MetricName(profile, config ?? SampleTypeConfig.Default)),
            new(LabelNames.Delta, "false"),
            new(LabelNames.PyroscopeSpy, spyName),
        };
        if (name.Tag(LabelNames.ServiceName) is null)
        {
            labels.Add(new LabelPair(LabelNames.ServiceName, name.AppName));
        }

        AddAllowedTags(labels, name);
        return labels;
    }

    /// <summary>Labels for a folded or lines upload, whose metric name comes from the app-name suffix.</summary>
    public static List<LabelPair> ForText(string metricName, string appWithoutSuffix, IngestName name, string spyName)
    {
        ArgumentNullException.ThrowIfNull(name);
        var labels = new List<LabelPair>
        {
            new(LabelNames.MetricName, metricName),
            new(LabelNames.Delta, "false"),
        };
        if (spyName.Length > 0)
        {
            labels.Add(new LabelPair(LabelNames.PyroscopeSpy, spyName));
        }

        if (name.Tag(LabelNames.ServiceName) is null)
        {
            labels.Add(new LabelPair(LabelNames.ServiceName, appWithoutSuffix));
        }
        else if (name.Tag(LabelNames.AppName) is null)
        {
            labels.Add(new LabelPair(LabelNames.AppName, appWithoutSuffix));
        }

        AddAllowedTags(labels, name);
        return labels;
    }

    /// <summary>
    /// Pyroscope's <c>__name__</c> heuristic: <c>wall</c> if any sample type is exactly <c>wall</c>; otherwise the
    /// first sample type whose display name matches a known family; otherwise the last display name.
    /// </summary>
    public static string MetricName(Profile profile, SampleTypeConfig config)
    {
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(config);
        var strings = profile.StringTable;
        foreach (var type in profile.SampleType)
        {
            if (strings[(int)type.Type] == "wall")
            {
                return "wall";
            }
        }

        var last = string.Empty;
        foreach (var type in profile.SampleType)
        {
            var st = config.DisplayName(strings[(int)type.Type]);
            last = st;
            if (st.Contains("cpu", StringComparison.Ordinal))
            {
                return "process_cpu";
            }

            if (st.Contains("alloc_", StringComparison.Ordinal) || st.Contains("inuse_", StringComparison.Ordinal) || st is "space" or "objects")
            {
                return "memory";
            }

            if (st.Contains("mutex_", StringComparison.Ordinal))
            {
                return "mutex";
            }

            if (st.Contains("block_", StringComparison.Ordinal))
            {
                return "block";
            }

            if (st.Contains("goroutines", StringComparison.Ordinal))
            {
                return "goroutines";
            }
        }

        return last;
    }

    /// <summary>Tags starting with <c>__</c> are reserved; only <c>__session_id__</c> may be sent.</summary>
    public static bool IsAllowedForIngestion(string name) =>
        !name.StartsWith("__", StringComparison.Ordinal) || name == LabelNames.SessionId;

    private static void AddAllowedTags(List<LabelPair> labels, IngestName name)
    {
        foreach (var tag in name.Tags)
        {
            if (IsAllowedForIngestion(tag.Name))
            {
                labels.Add(tag);
            }
        }
    }
}
