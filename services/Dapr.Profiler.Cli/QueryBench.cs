using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime.InteropServices;
using Dapr.Profiler.Model;
using Dapr.Profiler.Protos.Pprof;
using Dapr.Profiler.Protos.Querier;
using Dapr.Profiler.Protos.Types;
using Google.Protobuf;

namespace Dapr.Profiler.Cli;

/// <summary>
/// <c>dprof bench query --url URL</c>: against a running server, ingests the last hour of real profiles per service
/// (<c>bench-svc-0</c> … <c>bench-svc-N-1</c>; the corpus files in turn, evenly spread over the hour: one per second
/// with the default 3,600 per service), pushed concurrently; waits until every push is acknowledged, then
/// runs the queries Grafana makes most (<c>SelectMergeStacktraces</c>, <c>SelectSeries</c>, <c>LabelValues</c>) over
/// that hour one at a time, and prints their p50/p99 latency and the bytes the query-backend read from object storage
/// per query (the delta of the server's <c>dprof_query_bytes_read_total</c> around each call).
/// </summary>
internal static class QueryBench
{
    public const string CpuType = "process_cpu:cpu:nanoseconds:cpu:nanoseconds";
    public const string BulkIngestHint = "start the server with --Distributor:IngestionRateBytesPerSecond=0 for bulk ingest";

    private const string QueriesMetric = "dprof_query_queries_total";
    private const string BytesMetric = "dprof_query_bytes_read_total";
    private const string BlocksMetric = "dprof_query_blocks_read_total";
    private const string ObjectsMetric = "dprof_segment_objects_written_total";
    private const int MaxAttempts = 20;

    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private static readonly MediaTypeHeaderValue ProtoType = new("application/proto");

    public static async Task<int> RunAsync(Arguments args, TextWriter output)
    {
        var url = UploadCommand.BaseUrl(args);
        var services = (int)(args.LongOption("services") ?? 1);
        var perService = (int)(args.LongOption("profiles-per-service") ?? 3600);
        var runs = (int)(args.LongOption("queries") ?? 20);
        var concurrency = (int)(args.LongOption("concurrency") ?? 1024);
        var warmup = (int)(args.LongOption("warmup") ?? 5);
        if (services <= 0 || perService <= 0 || runs <= 0 || concurrency <= 0)
        {
            throw new UsageException("--services, --profiles-per-service, --queries and --concurrency must be positive");
        }

        if (warmup < 0)
        {
            throw new UsageException("--warmup must not be negative");
        }

        if (perService > 1_000_000)
        {
            throw new UsageException("--profiles-per-service is at most 1000000");
        }

        var dirs = args.Option("corpus") is { } given ? [given] : CorpusLocator.FindDefaultWithBench();
        var templates = dirs.SelectMany(d => Directory.GetFiles(d, "*.pb.gz")).Order(StringComparer.Ordinal).Select(Template).ToArray();
        if (templates.Length == 0)
        {
            throw new UsageException("no *.pb.gz profiles to push");
        }

        using var http = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(120) };
        var baseline = await IngestBench.MetricsAsync(http);
        if (!baseline.ContainsKey(BytesMetric))
        {
            throw new IOException($"{url}metrics has no {BytesMetric}: the server does not run the query-backend, or is too old");
        }

        // Data time: the last hour (the server rejects profiles more than 10 minutes ahead), each service's profiles
        // evenly spread over it (one per second with the default 3,600 profiles per service).
        var end = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        var start = end - Hour;
        output.WriteLine(string.Create(Inv, $"machine: {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}"));
        output.WriteLine(string.Create(Inv, $"target: {url} · {services} services × {perService} profiles (one every {Hour.TotalSeconds / perService:0.###} s of data time, {start:yyyy-MM-ddTHH:mm:ssZ} to {end:yyyy-MM-ddTHH:mm:ssZ}) · {templates.Length} distinct corpus profiles · {concurrency} pushes in flight"));

        var ingest = await IngestAsync(http, templates, services, perService, start, concurrency, output);
        var afterIngest = await IngestBench.MetricsAsync(http);
        var objects = afterIngest.GetValueOrDefault(ObjectsMetric) - baseline.GetValueOrDefault(ObjectsMetric);
        output.WriteLine(string.Create(Inv,
            $"ingest: {ingest.Acknowledged} profiles ({ingest.Bytes / (1024.0 * 1024):0.0} MiB gzipped) acknowledged in {ingest.Seconds:0.0} s ({ingest.Acknowledged / ingest.Seconds:0} profiles/s) · {objects} segment objects written · retried {ingest.Retries} · failed {ingest.Failed}"));
        output.WriteLine(string.Create(Inv, $"server RSS after ingest: {afterIngest.GetValueOrDefault("process_resident_memory_bytes") / (1024.0 * 1024):0} MiB (peak {afterIngest.GetValueOrDefault("process_resident_memory_peak_bytes") / (1024.0 * 1024):0} MiB)"));
        if (ingest.Throttled > 0)
        {
            output.WriteLine(string.Create(Inv, $"hint: {ingest.Throttled} pushes were rate limited (429); {BulkIngestHint}"));
        }

        if (ingest.Failed > 0)
        {
            output.WriteLine($"first failure: {ingest.FirstError}");
            return 1;
        }

        var from = start.ToUnixTimeMilliseconds();
        var to = end.ToUnixTimeMilliseconds();
        var types = await CallAsync<ProfileTypesRequest, ProfileTypesResponse>(http, "ProfileTypes", new ProfileTypesRequest { Start = from, End = to });
        var ids = types.ProfileTypes.Select(t => t.ID).ToList();
        var profileType = ids.Contains(CpuType) ? CpuType : ids.FirstOrDefault()
            ?? throw new IOException("the server lists no profile type over the ingested hour");
        var selector = "{service_name=\"bench-svc-0\"}";
        output.WriteLine(string.Create(Inv, $"queries over {start:HH:mm:ss}–{end:HH:mm:ss}Z, {runs} runs each after {warmup} warm-up runs (the server's JIT tiers up), one at a time · profile type {profileType} · selector {selector}"));

        var queries = new (string Name, string Answer, Func<Task<int>> Run)[]
        {
            ("SelectMergeStacktraces", "flame graph names", async () =>
            {
                var request = new SelectMergeStacktracesRequest { ProfileTypeID = profileType, LabelSelector = selector, Start = from, End = to };
                var response = await CallAsync<SelectMergeStacktracesRequest, SelectMergeStacktracesResponse>(http, "SelectMergeStacktraces", request);
                return response.Flamegraph?.Names.Count ?? 0;
            }),
            ("SelectSeries (step 15 s)", "points", async () =>
            {
                var request = new SelectSeriesRequest { ProfileTypeID = profileType, LabelSelector = selector, Start = from, End = to, Step = 15 };
                var response = await CallAsync<SelectSeriesRequest, SelectSeriesResponse>(http, "SelectSeries", request);
                return response.Series.Sum(s => s.Points.Count);
            }),
            ("LabelValues (service_name)", "values", async () =>
            {
                var request = new LabelValuesRequest { Name = "service_name", Start = from, End = to };
                var response = await CallAsync<LabelValuesRequest, LabelValuesResponse>(http, "LabelValues", request);
                return response.Names.Count;
            }),
        };

        async Task RunQueriesAsync(string stage)
        {
            foreach (var (name, answer, run) in queries)
            {
                var result = await MeasureAsync(http, run, warmup, runs);
                var perQuery = result.Bytes.Min() == result.Bytes.Max()
                    ? string.Create(Inv, $"{result.Bytes[0]}")
                    : string.Create(Inv, $"{result.Bytes.Average():0} (min {result.Bytes.Min()}, max {result.Bytes.Max()})");
                output.WriteLine(string.Create(Inv,
                    $"{stage}{name}: p50 {Percentile(result.Latencies, 0.50):0.00} ms · p99 {Percentile(result.Latencies, 0.99):0.00} ms · bytes read {perQuery}/query · blocks read {result.Blocks.Average():0.#}/query · backend plans {result.Plans.Average():0.#}/query · answer {result.Size} {answer}"));
            }
        }

        var compactionTimeout = args.LongOption("compaction-timeout");
        await RunQueriesAsync(compactionTimeout is null ? string.Empty : "before compaction: ");
        if (compactionTimeout is { } timeout)
        {
            if (!await CompactionBench.WaitAndReportAsync(http, TimeSpan.FromSeconds(timeout), (int)(args.LongOption("shards") ?? 4), ingest.Acknowledged, ingest.Bytes, output))
            {
                return 1;
            }

            await RunQueriesAsync("after compaction: ");
        }

        return 0;
    }

    /// <summary>A corpus profile decoded and re-encoded without <c>time_nanos</c>, to which each push appends its own.</summary>
    private static byte[] Template(string path)
    {
        var profile = PprofDecoder.Decode(File.ReadAllBytes(path));
        profile.TimeNanos = 0;
        return profile.ToByteArray();
    }

    /// <summary>
    /// The gzipped pprof of <paramref name="template"/> taken at <paramref name="timeNanos"/>: the template's bytes
    /// followed by a <c>time_nanos</c> field (a protobuf parser keeps the last value of a scalar field, and the template
    /// has none).
    /// </summary>
    internal static byte[] Body(byte[] template, long timeNanos)
    {
        var field = new byte[16];
        var coded = new CodedOutputStream(field);
        coded.WriteTag(Profile.TimeNanosFieldNumber, WireFormat.WireType.Varint);
        coded.WriteInt64(timeNanos);
        coded.Flush();
        using var buffer = new MemoryStream(template.Length / 3);
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(template);
            gzip.Write(field, 0, (int)coded.Position);
        }

        return buffer.ToArray();
    }

    private static async Task<IngestResult> IngestAsync(
        HttpClient http, byte[][] templates, int services, int perService, DateTimeOffset start, int concurrency, TextWriter output)
    {
        // Data-time order, all services of one time slot together, as agents of many services would push them.
        var total = (long)services * perService;
        long acknowledged = 0, bytes = 0, retries = 0, throttled = 0, failed = 0;
        string? firstError = null;
        var watch = Stopwatch.StartNew();
        var lastProgress = TimeSpan.Zero;
        var progressGate = new Lock();
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = concurrency };
        await Parallel.ForEachAsync(LongRange(total), parallel, async (j, ct) =>
        {
            var slot = j / services;
            var service = j % services;
            var timeNanos = (start.ToUnixTimeMilliseconds() * 1_000_000) + (slot * (long)Hour.TotalNanoseconds / perService);
            var body = Body(templates[j % templates.Length], timeNanos);
            var query = string.Create(Inv, $"ingest?name={Uri.EscapeDataString($"bench-svc-{service}{{env=bench}}")}&format=pprof&from={timeNanos / 1_000_000_000}&spyName=gospy");
            for (var attempt = 1; ; attempt++)
            {
                using var content = new ByteArrayContent(body);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                HttpResponseMessage response;
                try
                {
                    response = await http.PostAsync(query, content, ct);
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
                {
                    // A connection error or a timeout: the push may or may not have been stored; pushing again is harmless
                    // for the figures (a duplicate profile only adds to the totals).
                    if (attempt == MaxAttempts)
                    {
                        Interlocked.Increment(ref failed);
                        Interlocked.CompareExchange(ref firstError, $"{query}: {ex.Message}", null);
                        break;
                    }

                    Interlocked.Increment(ref retries);
                    await Task.Delay(Backoff(attempt), ct);
                    continue;
                }

                using (response)
                {
                    if (response.IsSuccessStatusCode)
                    {
                        Interlocked.Increment(ref acknowledged);
                        Interlocked.Add(ref bytes, body.Length);
                        break;
                    }

                    var retriable = response.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable;
                    if (response.StatusCode == HttpStatusCode.TooManyRequests)
                    {
                        Interlocked.Increment(ref throttled);
                    }

                    if (!retriable || attempt == MaxAttempts)
                    {
                        Interlocked.Increment(ref failed);
                        var text = await response.Content.ReadAsStringAsync(ct);
                        Interlocked.CompareExchange(ref firstError, $"HTTP {(int)response.StatusCode} for {query}: {text.Trim()}", null);
                        break;
                    }

                    Interlocked.Increment(ref retries);
                    await Task.Delay(response.Headers.RetryAfter?.Delta ?? Backoff(attempt), ct);
                }
            }

            var elapsed = watch.Elapsed;
            if (elapsed - lastProgress >= TimeSpan.FromSeconds(30))
            {
                lock (progressGate)
                {
                    if (elapsed - lastProgress >= TimeSpan.FromSeconds(30))
                    {
                        lastProgress = elapsed;
                        var done = Interlocked.Read(ref acknowledged);
                        output.WriteLine(string.Create(Inv, $"  ingest progress: {done}/{total} profiles after {elapsed.TotalSeconds:0} s ({done / elapsed.TotalSeconds:0} profiles/s)"));
                    }
                }
            }
        });

        return new IngestResult(acknowledged, bytes, retries, throttled, failed, firstError, watch.Elapsed.TotalSeconds);
    }

    private static TimeSpan Backoff(int attempt) => TimeSpan.FromMilliseconds(Math.Min(2000, 50 << Math.Min(attempt, 6)));

    private static IEnumerable<long> LongRange(long count)
    {
        for (var i = 0L; i < count; i++)
        {
            yield return i;
        }
    }

    /// <summary>Untimed warm-up calls, then <paramref name="runs"/> timed calls, each with the server's counters read around it.</summary>
    private static async Task<QueryResult> MeasureAsync(HttpClient http, Func<Task<int>> run, int warmup, int runs)
    {
        for (var i = 0; i < warmup; i++)
        {
            await run();
        }

        var latencies = new double[runs];
        var bytes = new long[runs];
        var blocks = new long[runs];
        var plans = new long[runs];
        var size = 0;
        for (var i = 0; i < runs; i++)
        {
            var before = await IngestBench.MetricsAsync(http);
            var started = Stopwatch.GetTimestamp();
            size = await run();
            latencies[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            var after = await IngestBench.MetricsAsync(http);
            bytes[i] = after.GetValueOrDefault(BytesMetric) - before.GetValueOrDefault(BytesMetric);
            blocks[i] = after.GetValueOrDefault(BlocksMetric) - before.GetValueOrDefault(BlocksMetric);
            plans[i] = after.GetValueOrDefault(QueriesMetric) - before.GetValueOrDefault(QueriesMetric);
        }

        Array.Sort(latencies);
        return new QueryResult(latencies, bytes, blocks, plans, size);
    }

    /// <summary>A Connect unary call in the binary protobuf encoding (what Grafana's Pyroscope data source sends).</summary>
    private static async Task<TResponse> CallAsync<TRequest, TResponse>(HttpClient http, string method, TRequest request)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse>, new()
    {
        using var content = new ByteArrayContent(request.ToByteArray());
        content.Headers.ContentType = ProtoType;
        using var response = await http.PostAsync($"querier.v1.QuerierService/{method}", content);
        var body = await response.Content.ReadAsByteArrayAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new IOException($"{method} failed with HTTP {(int)response.StatusCode}: {System.Text.Encoding.UTF8.GetString(body).Trim()}");
        }

        var message = new TResponse();
        message.MergeFrom(body);
        return message;
    }

    private static double Percentile(double[] sorted, double q) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];

    private sealed record IngestResult(long Acknowledged, long Bytes, long Retries, long Throttled, long Failed, string? FirstError, double Seconds);

    private sealed record QueryResult(double[] Latencies, long[] Bytes, long[] Blocks, long[] Plans, int Size);
}
