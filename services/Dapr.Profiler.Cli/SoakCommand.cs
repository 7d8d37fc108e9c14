using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using Dapr.Profiler.Cli.Chaos;
using Dapr.Profiler.Protos.Querier;
using Google.Protobuf;

namespace Dapr.Profiler.Cli;

/// <summary>
/// <c>dprof soak --url URL --minutes M --rate R</c>: open-loop ingest of real corpus profiles at R profiles/s with
/// a merge query every few seconds; one line per interval (server RSS, GC heap and collections from /metrics, ack
/// and query latency of the interval, errors so far) and a summary. Exit 1 on any error.
/// </summary>
internal static class SoakCommand
{
    private const string Services = "soak-";
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static async Task<int> RunAsync(Arguments args, TextWriter output)
    {
        var url = UploadCommand.BaseUrl(args);
        var minutes = DoubleOption(args, "minutes") ?? throw new UsageException("--minutes is required");
        var rate = DoubleOption(args, "rate") ?? throw new UsageException("--rate is required (profiles per second)");
        var seed = (int)(args.LongOption("seed") ?? 1);
        var queryEvery = DoubleOption(args, "query-every") ?? 5;
        if (!(minutes > 0) || !(rate > 0) || !(queryEvery > 0) || minutes > 60 * 24 * 30 || rate > 100_000)
        {
            throw new UsageException("--minutes, --rate and --query-every must be positive (at most 30 days and 100000 profiles/s)");
        }

        var corpus = ChaosCorpus.Load(args.Option("corpus"));
        var templates = corpus.Select(c =>
        {
            var copy = c.Profile.Clone();
            copy.TimeNanos = 0;
            return copy.ToByteArray();
        }).ToArray();
        var duration = TimeSpan.FromMinutes(minutes);
        // Every minute; for runs under ten minutes every tenth of the run, but not more often than every 5 s.
        var interval = TimeSpan.FromSeconds(Math.Clamp(duration.TotalSeconds / 10, 5, 60));
        var random = new Random(seed);
        var stats = new SoakStats();
        using var http = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(60) };
        output.WriteLine(string.Create(Inv, $"soak: target {url} · {minutes} min · {rate} profiles/s open loop · a query every {queryEvery} s · a line every {interval.TotalSeconds:0.#} s · seed {seed} · {templates.Length} corpus profiles"));

        var watch = Stopwatch.StartNew();
        var inFlight = new List<Task>();
        var nextLine = interval;
        var nextQuery = TimeSpan.Zero;
        var pushInterval = TimeSpan.FromSeconds(1 / rate);
        var lines = new List<SoakLine>();
        for (long i = 0; ; i++)
        {
            var due = pushInterval * i;
            if (due >= duration)
            {
                break;
            }

            while (nextQuery <= due || nextLine <= due)
            {
                if (nextQuery <= nextLine)
                {
                    await WaitUntilAsync(watch, nextQuery);
                    inFlight.Add(QueryAsync(http, stats));
                    nextQuery += TimeSpan.FromSeconds(queryEvery);
                }
                else
                {
                    await WaitUntilAsync(watch, nextLine);
                    lines.Add(await PrintLineAsync(http, stats, watch.Elapsed, output));
                    nextLine += interval;
                }
            }

            await WaitUntilAsync(watch, due);
            var template = templates[random.Next(templates.Length)];
            var service = Services + random.Next(4).ToString(Inv);
            inFlight.Add(PushAsync(http, stats, template, service));
            inFlight.RemoveAll(t => t.IsCompleted);
        }

        await WaitUntilAsync(watch, duration);
        await Task.WhenAll(inFlight);
        lines.Add(await PrintLineAsync(http, stats, watch.Elapsed, output));

        output.WriteLine(string.Create(Inv, $"summary: {watch.Elapsed.TotalSeconds:0.0} s · {stats.Pushed} profiles acknowledged · {stats.Queried} queries · errors {stats.Errors}"));
        output.WriteLine(string.Create(Inv, $"server RSS: first interval {Mib(lines[0].Rss)} MiB · last interval {Mib(lines[^1].Rss)} MiB · max {Mib(lines.Max(l => l.Rss))} MiB"));
        if (stats.FirstError is { } first)
        {
            output.WriteLine("first error: " + first);
        }

        return stats.Errors == 0 ? 0 : 1;
    }

    private static async Task WaitUntilAsync(Stopwatch watch, TimeSpan due)
    {
        if (due > watch.Elapsed)
        {
            await Task.Delay(due - watch.Elapsed);
        }
    }

    private static async Task PushAsync(HttpClient http, SoakStats stats, byte[] template, string service)
    {
        var now = DateTimeOffset.UtcNow;
        var body = QueryBench.Body(template, now.ToUnixTimeMilliseconds() * 1_000_000);
        var path = string.Create(Inv, $"ingest?name={Uri.EscapeDataString(service + "{env=soak}")}&format=pprof&from={now.ToUnixTimeSeconds()}&spyName=gospy");
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        await stats.TimeAsync(isQuery: false, path, async () =>
        {
            using var response = await http.PostAsync(path, content);
            return response.IsSuccessStatusCode ? null : $"HTTP {(int)response.StatusCode}: {(await response.Content.ReadAsStringAsync()).Trim()}";
        });
    }

    private static async Task QueryAsync(HttpClient http, SoakStats stats)
    {
        var end = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var request = new SelectMergeStacktracesRequest
        {
            ProfileTypeID = QuerierCalls.CpuType,
            LabelSelector = $"{{service_name=~\"{Services}.*\"}}",
            Start = end - (5 * 60_000),
            End = end,
        };
        await stats.TimeAsync(isQuery: true, "SelectMergeStacktraces", async () =>
        {
            using var content = new ByteArrayContent(request.ToByteArray());
            content.Headers.ContentType = new MediaTypeHeaderValue("application/proto");
            using var response = await http.PostAsync("querier.v1.QuerierService/SelectMergeStacktraces", content);
            return response.IsSuccessStatusCode ? null : $"HTTP {(int)response.StatusCode}: {(await response.Content.ReadAsStringAsync()).Trim()}";
        });
    }

    private static async Task<SoakLine> PrintLineAsync(HttpClient http, SoakStats stats, TimeSpan elapsed, TextWriter output)
    {
        Dictionary<string, long> metrics;
        try
        {
            metrics = await IngestBench.MetricsAsync(http);
        }
        catch (IOException ex)
        {
            stats.Fail("/metrics: " + ex.Message);
            metrics = [];
        }

        var (acks, queries) = stats.TakeInterval();
        var line = new SoakLine(metrics.GetValueOrDefault("process_resident_memory_bytes"));
        long Gen(int g) => metrics.GetValueOrDefault($"dotnet_gc_collections_total{{generation=\"gen{g}\"}}");
        output.WriteLine(string.Create(Inv,
            $"[{elapsed.TotalSeconds,7:0.0} s] rss {Mib(line.Rss)} MiB · gc heap {Mib(metrics.GetValueOrDefault("dotnet_gc_heap_size_bytes"))} MiB · gc gen0/1/2 {Gen(0)}/{Gen(1)}/{Gen(2)} · ingest {acks.Length} acks p50 {Percentile(acks, 0.5):0.0} ms p99 {Percentile(acks, 0.99):0.0} ms · query p50 {Percentile(queries, 0.5):0.0} ms ({queries.Length}) · errors {stats.Errors}"));
        return line;
    }

    private static string Mib(long bytes) => (bytes / (1024.0 * 1024)).ToString("0", Inv);

    private static double Percentile(double[] sorted, double q) =>
        sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, Math.Max(0, (int)Math.Ceiling(q * sorted.Length) - 1))];

    private static double? DoubleOption(Arguments args, string name) =>
        args.Option(name) is not { } text ? null
        : double.TryParse(text, NumberStyles.Float, Inv, out var value) && double.IsFinite(value) ? value
        : throw new UsageException($"--{name} must be a number, not \"{text}\"");

    private sealed record SoakLine(long Rss);
}

/// <summary>Latencies of the current interval and error counts, shared by the soak's concurrent requests.</summary>
internal sealed class SoakStats
{
    private readonly Lock _gate = new();
    private List<double> _acks = [];
    private List<double> _queries = [];

    public long Pushed { get; private set; }

    public long Queried { get; private set; }

    public long Errors { get; private set; }

    public string? FirstError { get; private set; }

    /// <summary>Runs a request (which returns an error text or null) and records its latency or its error.</summary>
    public async Task TimeAsync(bool isQuery, string what, Func<Task<string?>> request)
    {
        var started = Stopwatch.GetTimestamp();
        string? error;
        try
        {
            error = await request();
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            error = ex.Message;
        }

        var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        lock (_gate)
        {
            if (error is not null)
            {
                Errors++;
                FirstError ??= $"{what}: {error}";
            }
            else if (isQuery)
            {
                Queried++;
                _queries.Add(ms);
            }
            else
            {
                Pushed++;
                _acks.Add(ms);
            }
        }
    }

    public void Fail(string error)
    {
        lock (_gate)
        {
            Errors++;
            FirstError ??= error;
        }
    }

    /// <summary>The sorted latencies since the last call, and a fresh interval.</summary>
    public (double[] Acks, double[] Queries) TakeInterval()
    {
        lock (_gate)
        {
            var result = (_acks.Order().ToArray(), _queries.Order().ToArray());
            _acks = [];
            _queries = [];
            return result;
        }
    }
}
