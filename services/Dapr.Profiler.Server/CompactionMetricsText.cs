using System.Globalization;
using System.Text;
using Dapr.Profiler.Compaction;
using Dapr.Profiler.Protos.Metastore;

namespace Dapr.Profiler.Server;

/// <summary>Compaction and index figures in the Prometheus text format.</summary>
internal static class CompactionMetricsText
{
    public static void Write(StringBuilder text, CompactionMetrics metrics)
    {
        Header(text, "dprof_compaction_jobs_total", "Compaction jobs by source level and state (created, forced, committed, noop, stale, lease_expired, abandoned, failed).", "counter");
        foreach (var ((level, state), count) in metrics.Jobs.OrderBy(j => j.Key.Level).ThenBy(j => j.Key.State, StringComparer.Ordinal))
        {
            text.Append(CultureInfo.InvariantCulture, $"dprof_compaction_jobs_total{{level=\"{level}\",state=\"{state}\"}} {count}\n");
        }

        var (count1, sum, median) = metrics.TimeToFirstCompaction;
        Header(text, "dprof_compaction_time_to_first_compaction_seconds", "From the creation of the oldest segment of a level-0 job to its commit.", "summary");
        text.Append(CultureInfo.InvariantCulture, $"dprof_compaction_time_to_first_compaction_seconds{{quantile=\"0.5\"}} {median:0.###}\n");
        text.Append(CultureInfo.InvariantCulture, $"dprof_compaction_time_to_first_compaction_seconds_sum {sum:0.###}\n");
        text.Append(CultureInfo.InvariantCulture, $"dprof_compaction_time_to_first_compaction_seconds_count {count1}\n");
        Single(text, "dprof_compaction_objects_deleted_total", "Tombstoned objects deleted.", "counter", metrics.ObjectsDeleted);
        Single(text, "dprof_compaction_bytes_deleted_total", "Bytes of tombstoned objects deleted.", "counter", metrics.BytesDeleted);
        Single(text, "dprof_compaction_orphans_deleted_total", "Objects deleted because neither the index nor a tombstone knew them.", "counter", metrics.OrphansDeleted);
    }

    public static void Write(StringBuilder text, IndexStatsResponse stats)
    {
        Header(text, "dprof_blocks", "Blocks in the index by compaction level.", "gauge");
        foreach (var level in stats.Levels)
        {
            text.Append(CultureInfo.InvariantCulture, $"dprof_blocks{{level=\"{level.Level}\"}} {level.Blocks}\n");
        }

        Header(text, "dprof_block_bytes", "Bytes of the indexed blocks by compaction level.", "gauge");
        foreach (var level in stats.Levels)
        {
            text.Append(CultureInfo.InvariantCulture, $"dprof_block_bytes{{level=\"{level.Level}\"}} {level.Bytes}\n");
        }

        Single(text, "dprof_tombstones", "Objects that left the index and wait for deletion.", "gauge", stats.Tombstones);
    }

    private static void Header(StringBuilder text, string name, string help, string type) =>
        text.Append(CultureInfo.InvariantCulture, $"# HELP {name} {help}\n# TYPE {name} {type}\n");

    private static void Single(StringBuilder text, string name, string help, string type, long value)
    {
        Header(text, name, help, type);
        text.Append(CultureInfo.InvariantCulture, $"{name} {value}\n");
    }
}
