using System.Globalization;
using System.Text;
using Dapr.Profiler.Compaction;
using Dapr.Profiler.Metastore;
using Dapr.Profiler.Protos.Metastore;
using Dapr.Profiler.QueryBackend;
using Dapr.Profiler.SegmentWriter;

namespace Dapr.Profiler.Server;

/// <summary><c>GET /metrics</c>: a few counters in the Prometheus text format (with the process's resident memory and .NET GC figures), read by the ingest and query benches and by <c>dprof chaos</c> and <c>dprof soak</c>.</summary>
internal static class MetricsEndpoint
{
    public static async Task WriteAsync(HttpContext context)
    {
        var text = new StringBuilder();
        if (context.RequestServices.GetService<SegmentWriterMetrics>() is { } writer)
        {
            Counter(text, "dprof_segment_objects_written_total", "Segment objects written to object storage.", writer.ObjectsWritten);
            Counter(text, "dprof_segment_bytes_written_total", "Bytes of segment objects written.", writer.BytesWritten);
            Counter(text, "dprof_segment_pushes_acknowledged_total", "Pushes acknowledged after their segment was durable.", writer.PushesAcknowledged);
            Counter(text, "dprof_segment_failures_total", "Segments that could not be stored (their pushes failed).", writer.SegmentsFailed);
            Counter(text, "dprof_segment_dlq_writes_total", "Segments whose metadata went to the DLQ.", writer.DlqWrites);
        }

        if (context.RequestServices.GetService<QueryBackendMetrics>() is { } query)
        {
            Counter(text, "dprof_query_queries_total", "Query plans executed by the query-backend (root invocations).", query.QueriesExecuted);
            Counter(text, "dprof_query_blocks_read_total", "Blocks opened by query-backend READ nodes.", query.BlocksRead);
            Counter(text, "dprof_query_bytes_read_total", "Bytes the query-backend read from object storage.", query.BytesRead);
        }

        if (context.RequestServices.GetService<Distributor.DistributorRing>() is { } ring)
        {
            Gauge(text, "dprof_distributor_ring_members", "Live distributors sharing the per-tenant ingestion rate.", ring.LiveMembers);
            Counter(text, "dprof_distributor_ring_heartbeats_total", "Heartbeats the DistributorRing actor answered.", ring.Heartbeats);
        }

        if (context.RequestServices.GetService<Distributor.IngestPipeline>() is { } pipeline)
        {
            Gauge(text, "dprof_distributor_inflight_requests", "Push requests being worked on (Distributor:MaxInflightRequests).", pipeline.InflightRequests);
        }

        if (context.RequestServices.GetService<Distributor.IngestRateLimiter>() is { } limiter)
        {
            Gauge(text, "dprof_distributor_rate_limited_tenants", "Tenants with an ingestion rate bucket (idle ones are evicted).", limiter.TrackedTenants);
        }

        if (context.RequestServices.GetService<CompactionMetrics>() is { } compaction)
        {
            CompactionMetricsText.Write(text, compaction);
        }

        // Only once the node serves: a read during recovery would wait for it, and a scrape must answer at once.
        if (context.RequestServices.GetService<MetastoreService>() is { } metastore
            && context.RequestServices.GetService<MetastoreNode>() is { IsReady: true })
        {
            try
            {
                CompactionMetricsText.Write(text, await metastore.IndexStatsAsync(new IndexStatsRequest(), context.RequestAborted));
            }
            catch (MetastoreUnavailableException)
            {
                // Stopping: the index figures are left out of this scrape.
            }
        }

        var (rss, peak) = ProcessMemory.Read();
        Gauge(text, "process_resident_memory_bytes", "Resident set size.", rss);
        Gauge(text, "process_resident_memory_peak_bytes", "Peak resident set size (VmHWM).", peak);
        Gauge(text, "dotnet_gc_heap_size_bytes", "Bytes currently allocated on the managed heap.", GC.GetTotalMemory(forceFullCollection: false));
        text.Append("# HELP dotnet_gc_collections_total Garbage collections of each generation since the start (a gen2 collection also counts in gen0 and gen1).\n# TYPE dotnet_gc_collections_total counter\n");
        for (var generation = 0; generation <= GC.MaxGeneration; generation++)
        {
            text.Append(CultureInfo.InvariantCulture, $"dotnet_gc_collections_total{{generation=\"gen{generation}\"}} {GC.CollectionCount(generation)}\n");
        }

        context.Response.ContentType = "text/plain; version=0.0.4";
        await context.Response.WriteAsync(text.ToString(), context.RequestAborted);
    }

    private static void Counter(StringBuilder text, string name, string help, long value) => Metric(text, name, help, "counter", value);

    private static void Gauge(StringBuilder text, string name, string help, long value) => Metric(text, name, help, "gauge", value);

    private static void Metric(StringBuilder text, string name, string help, string type, long value) =>
        text.Append(CultureInfo.InvariantCulture, $"# HELP {name} {help}\n# TYPE {name} {type}\n{name} {value}\n");
}

/// <summary>Current and peak resident memory from /proc/self/status (Linux); the working set elsewhere.</summary>
internal static class ProcessMemory
{
    public static (long Rss, long Peak) Read()
    {
        const string status = "/proc/self/status";
        if (File.Exists(status))
        {
            long rss = 0, peak = 0;
            foreach (var line in File.ReadLines(status))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    rss = Kilobytes(line);
                }
                else if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    peak = Kilobytes(line);
                }
            }

            return (rss, peak);
        }

        using var process = System.Diagnostics.Process.GetCurrentProcess();
        return (process.WorkingSet64, process.PeakWorkingSet64);
    }

    private static long Kilobytes(string line)
    {
        var digits = new string(line.Where(char.IsAsciiDigit).ToArray());
        return long.Parse(digits, CultureInfo.InvariantCulture) * 1024;
    }
}
