using System.Diagnostics;
using System.Globalization;

namespace Dapr.Profiler.Cli.Chaos;

/// <summary>
/// <c>dprof chaos ingest --url URL --seed S --requests N</c>: a seeded hostile-input campaign against a running
/// server. Pushes a baseline and records query answers over it, sends N generated requests (see
/// <see cref="ChaosGenerator"/>) from C concurrent clients, then checks: no 5xx, a message in every 4xx, an answer
/// to every request, /ready still 200, peak RSS under the limit, baseline answers unchanged. Exit 0 only if all hold.
/// </summary>
internal static class ChaosCommand
{
    private const string ResidentMetric = "process_resident_memory_bytes";
    private const string PeakMetric = "process_resident_memory_peak_bytes";
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static Task<int> RunAsync(Arguments args, TextWriter output)
    {
        var what = args.RequiredPositional(0, "what to attack (ingest)");
        return what == "ingest" ? IngestAsync(args, output) : throw new UsageException($"unknown chaos campaign \"{what}\"");
    }

    private static async Task<int> IngestAsync(Arguments args, TextWriter output)
    {
        var url = UploadCommand.BaseUrl(args);
        var seed = (int)(args.LongOption("seed") ?? throw new UsageException("--seed is required (the campaign is reproducible from it)"));
        var requests = (int)(args.LongOption("requests") ?? 1000);
        var concurrency = (int)(args.LongOption("concurrency") ?? 4);
        var maxRssMib = args.LongOption("max-rss-mib") ?? 2048;
        var timeoutSeconds = args.LongOption("timeout") ?? 60;
        var only = args.LongOption("only");
        if (requests <= 0 || concurrency <= 0 || maxRssMib <= 0 || timeoutSeconds <= 0)
        {
            throw new UsageException("--requests, --concurrency, --max-rss-mib and --timeout must be positive");
        }

        if (only is < 0 or > int.MaxValue)
        {
            throw new UsageException("--only must be a request index");
        }

        var corpus = ChaosCorpus.Load(args.Option("corpus"));
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var generator = new ChaosGenerator(corpus.Select(c => c.Profile).ToList(), now);
        var categories = Categories(args.Option("categories"));
        var indexes = only is { } one
            ? [(int)one]
            : Enumerable.Range(0, requests).Where(i => categories.Contains(ChaosGenerator.CategoryOf(i))).ToArray();
        var urlText = url.ToString().TrimEnd('/');
        var report = new ChaosReport();
        var watch = Stopwatch.StartNew();
        output.WriteLine(string.Create(Inv, $"chaos ingest: target {urlText} · seed {seed} · {indexes.Length} requests · {concurrency} concurrent · RSS limit {maxRssMib} MiB"));

        using var http = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(timeoutSeconds) };
        using var monitorHttp = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(timeoutSeconds) };
        var ct = CancellationToken.None;

        var baseline = new ChaosBaseline(http, seed, now);
        await baseline.PushAsync(ChaosCorpus.CpuTemplates(corpus), ct);
        var before = await baseline.AnswersAsync(ct);
        output.WriteLine(string.Create(Inv, $"baseline: {before.Count} answers recorded over service {ChaosBaseline.Service} ({before[0].Query} {before[0].Answer})"));

        using var stopMonitor = new CancellationTokenSource();
        var monitor = MonitorRssAsync(monitorHttp, stopMonitor.Token);
        await Parallel.ForEachAsync(indexes, new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (index, token) =>
        {
            var request = generator.Generate(seed, index);
            report.Add(await ChaosSender.SendAsync(http, request, token), seed, urlText);
        });
        await stopMonitor.CancelAsync();
        var sampledPeak = await monitor;

        var ready = await ReadyAsync(http);
        if (ready is not null)
        {
            report.AddFailure(seed, "server not ready after the campaign: " + ready);
        }

        long peak = sampledPeak;
        if (ready is null)
        {
            var metrics = await IngestBench.MetricsAsync(http);
            if (!metrics.TryGetValue(PeakMetric, out var reportedPeak) && !metrics.ContainsKey(ResidentMetric))
            {
                report.AddFailure(seed, $"{urlText}/metrics exposes neither {PeakMetric} nor {ResidentMetric}: memory is not checked");
            }

            peak = Math.Max(peak, Math.Max(reportedPeak, metrics.GetValueOrDefault(ResidentMetric)));
            if (peak > maxRssMib << 20)
            {
                report.AddFailure(seed, string.Create(Inv, $"server peak RSS {peak >> 20} MiB is over the {maxRssMib} MiB limit"));
            }

            var after = await baseline.AnswersAsync(ct);
            foreach (var ((query, was), (_, now2)) in before.Zip(after))
            {
                if (was != now2)
                {
                    report.AddFailure(seed, $"baseline answer changed: {query} was {Short(was)}, is now {Short(now2)}");
                }
            }
        }

        output.Write(report.Table());
        output.WriteLine(string.Create(Inv, $"peak server RSS: {peak / (1024.0 * 1024):0} MiB (limit {maxRssMib} MiB)"));
        output.WriteLine(string.Create(Inv, $"baseline answers: {(report.Failures.Any(f => f.Contains("baseline answer", StringComparison.Ordinal)) ? "CHANGED" : ready is null ? "unchanged" : "not checked")}"));
        output.WriteLine(string.Create(Inv, $"elapsed: {watch.Elapsed.TotalSeconds:0.0} s"));
        output.WriteLine(string.Create(Inv, $"failures: {report.Failures.Count}"));
        foreach (var failure in report.Failures.Take(200))
        {
            output.WriteLine(failure);
        }

        if (report.Failures.Count > 200)
        {
            output.WriteLine(string.Create(Inv, $"… and {report.Failures.Count - 200} more"));
        }

        return report.Failures.Count == 0 ? 0 : 1;
    }

    /// <summary>Null when GET /ready answers 200, else what it did.</summary>
    private static async Task<string?> ReadyAsync(HttpClient http)
    {
        try
        {
            using var response = await http.GetAsync("ready");
            return response.IsSuccessStatusCode ? null : $"GET /ready answered HTTP {(int)response.StatusCode}";
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return "GET /ready failed: " + ex.Message;
        }
    }

    /// <summary>The highest resident memory seen while the campaign runs (read from /metrics every 250 ms).</summary>
    private static async Task<long> MonitorRssAsync(HttpClient http, CancellationToken stop)
    {
        long peak = 0;
        while (true)
        {
            try
            {
                var metrics = await IngestBench.MetricsAsync(http);
                peak = Math.Max(peak, Math.Max(metrics.GetValueOrDefault(ResidentMetric), metrics.GetValueOrDefault(PeakMetric)));
            }
            catch (Exception ex) when (ex is IOException or TaskCanceledException)
            {
                // A scrape that fails while the server is busy: the next one (or the final read) counts.
            }

            try
            {
                await Task.Delay(250, stop);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        return peak;
    }

    private static string Short(string answer)
    {
        var line = answer.ReplaceLineEndings(" ");
        return line.Length > 200 ? line[..200] + "…" : line;
    }

    /// <summary>The categories named by <c>--categories a,b</c> (kebab case), or all.</summary>
    private static HashSet<ChaosCategory> Categories(string? names)
    {
        var all = Enum.GetValues<ChaosCategory>();
        if (string.IsNullOrEmpty(names))
        {
            return [.. all];
        }

        var chosen = new HashSet<ChaosCategory>();
        foreach (var name in names.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var category = all.Where(c => ChaosRequest.Name(c) == name).Cast<ChaosCategory?>().FirstOrDefault()
                ?? throw new UsageException($"unknown category \"{name}\" (one of {string.Join(", ", all.Select(ChaosRequest.Name))})");
            chosen.Add(category);
        }

        return chosen;
    }
}
