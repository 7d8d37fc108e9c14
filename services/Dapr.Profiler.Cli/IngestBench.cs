using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;

namespace Dapr.Profiler.Cli;

/// <summary>
/// <c>dprof bench ingest --url URL</c>: pushes real pprof profiles to a running server's <c>/ingest</c> from
/// several concurrent clients and prints throughput, acknowledgement latency, objects written per second and
/// the server's peak RSS (both read from its <c>/metrics</c>).
/// </summary>
internal static class IngestBench
{
    public static async Task<int> RunAsync(Arguments args, TextWriter output)
    {
        var url = new Uri((args.Option("url") ?? "http://127.0.0.1:4040").TrimEnd('/') + "/");
        var concurrency = (int)(args.LongOption("concurrency") ?? 8);
        var seconds = args.LongOption("seconds") ?? 10;
        var services = (int)(args.LongOption("services") ?? 10);
        var rate = args.LongOption("rate");
        if (concurrency <= 0 || seconds <= 0 || services <= 0)
        {
            throw new UsageException("--concurrency, --seconds and --services must be positive");
        }

        var dirs = args.Option("corpus") is { } given ? [given] : CorpusLocator.FindDefaultWithBench();
        var bodies = dirs.SelectMany(d => Directory.GetFiles(d, "*.pb.gz")).Order(StringComparer.Ordinal).Select(File.ReadAllBytes).ToArray();
        if (bodies.Length == 0)
        {
            throw new UsageException("no *.pb.gz profiles to push");
        }

        using var http = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(60) };
        var before = await MetricsAsync(http);
        var latencies = new List<double>[concurrency];
        var bytes = new long[concurrency];
        var failures = new long[concurrency];
        var watch = Stopwatch.StartNew();
        var deadline = TimeSpan.FromSeconds(seconds);

        async Task PushAsync(int worker, int i)
        {
            var body = bodies[i % bodies.Length];
            var from = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            var name = Uri.EscapeDataString($"bench-{i % services}{{env=bench,worker={worker}}}");
            using var content = new ByteArrayContent(body);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            var started = Stopwatch.GetTimestamp();
            using var response = await http.PostAsync($"ingest?name={name}&format=pprof&from={from}&spyName=gospy", content);
            var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            lock (latencies)
            {
                if (response.IsSuccessStatusCode)
                {
                    latencies[worker].Add(elapsed);
                    bytes[worker] += body.Length;
                }
                else
                {
                    failures[worker]++;
                }
            }
        }

        for (var w = 0; w < concurrency; w++)
        {
            latencies[w] = [];
        }

        if (rate is { } perSecond)
        {
            // Open loop, like real agents: pushes start on a fixed schedule whatever the acknowledgements do.
            var inFlight = new List<Task>();
            var interval = TimeSpan.FromSeconds(1.0 / perSecond);
            for (var i = 0; watch.Elapsed < deadline; i++)
            {
                var due = interval * i;
                if (due > watch.Elapsed)
                {
                    await Task.Delay(due - watch.Elapsed);
                }

                inFlight.Add(PushAsync(i % concurrency, i));
            }

            await Task.WhenAll(inFlight);
        }
        else
        {
            // Closed loop: each client pushes again as soon as its previous push is acknowledged.
            await Task.WhenAll(Enumerable.Range(0, concurrency).Select(worker => Task.Run(async () =>
            {
                for (var i = worker; watch.Elapsed < deadline; i += concurrency)
                {
                    await PushAsync(worker, i);
                }
            })));
        }
        var elapsedSeconds = watch.Elapsed.TotalSeconds;
        var after = await MetricsAsync(http);

        var all = latencies.SelectMany(l => l).Order().ToArray();
        var objects = after.GetValueOrDefault("dprof_segment_objects_written_total") - before.GetValueOrDefault("dprof_segment_objects_written_total");
        var inv = CultureInfo.InvariantCulture;
        var mode = rate is { } r ? $"open loop at {r} profiles/s" : $"{concurrency} concurrent clients (closed loop)";
        output.WriteLine(string.Create(inv, $"target: {url} · {mode} · {services} services · {seconds} s · {bodies.Length} distinct profiles"));
        output.WriteLine(string.Create(inv, $"acknowledged: {all.Length} profiles ({all.Length / elapsedSeconds:0} profiles/s, {bytes.Sum() / elapsedSeconds / (1024 * 1024):0.00} MB/s gzipped); failed: {failures.Sum()}"));
        if (all.Length > 0)
        {
            output.WriteLine(string.Create(inv, $"ack latency: p50 {Percentile(all, 0.50):0.0} ms · p99 {Percentile(all, 0.99):0.0} ms · max {all[^1]:0.0} ms"));
        }

        output.WriteLine(string.Create(inv, $"objects written: {objects} ({objects / elapsedSeconds:0.0}/s)"));
        output.WriteLine(string.Create(inv, $"server peak RSS: {after.GetValueOrDefault("process_resident_memory_peak_bytes") / (1024.0 * 1024):0} MiB"));
        return failures.Sum() == 0 ? 0 : 1;
    }

    private static double Percentile(double[] sorted, double q) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];

    /// <summary>The server's counters and gauges from <c>/metrics</c> (Prometheus text), by name.</summary>
    internal static async Task<Dictionary<string, long>> MetricsAsync(HttpClient http)
    {
        var result = new Dictionary<string, long>(StringComparer.Ordinal);
        string text;
        try
        {
            text = await http.GetStringAsync("metrics");
        }
        catch (HttpRequestException ex)
        {
            throw new IOException($"cannot read {http.BaseAddress}metrics: {ex.Message}", ex);
        }

        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith('#') || line.Length == 0)
            {
                continue;
            }

            var space = line.LastIndexOf(' ');
            if (space > 0 && long.TryParse(line[(space + 1)..], NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
            {
                result[line[..space]] = value;
            }
        }

        return result;
    }
}
