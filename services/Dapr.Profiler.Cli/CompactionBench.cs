using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Dapr.Profiler.Cli;

/// <summary>
/// The compaction part of <c>dprof bench query --compaction-timeout S</c>: waits until every block has reached the
/// final level (no block below level 3 in the server's <c>dprof_blocks</c>), then prints the time to first compaction,
/// blocks per shard per hour of data, and the bytes stored per profile against the gzipped pprof sent.
/// </summary>
internal static partial class CompactionBench
{
    private const int FinalLevel = 3;
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static async Task<bool> WaitAndReportAsync(HttpClient http, TimeSpan timeout, int shards, long profiles, long gzippedBytes, TextWriter output)
    {
        var watch = Stopwatch.StartNew();
        Dictionary<string, double> metrics;
        while (true)
        {
            metrics = await ReadAsync(http);
            var waiting = Levels(metrics, "dprof_blocks").Where(l => l.Key < FinalLevel).Sum(l => l.Value);
            if (waiting == 0 && Levels(metrics, "dprof_blocks").Count > 0)
            {
                break;
            }

            if (watch.Elapsed > timeout)
            {
                output.WriteLine(string.Create(Inv, $"compaction did not reach level {FinalLevel} within {timeout.TotalSeconds:0} s ({waiting} blocks below it); start the server with shorter Compaction:L1:MaxAge and Compaction:L2:MaxAge to see the final state sooner"));
                return false;
            }

            await Task.Delay(TimeSpan.FromSeconds(1));
        }

        var blocks = Levels(metrics, "dprof_blocks");
        var bytes = Levels(metrics, "dprof_block_bytes");
        var totalBlocks = blocks.Values.Sum();
        var totalBytes = bytes.Values.Sum();
        output.WriteLine(string.Create(Inv,
            $"compaction settled in {watch.Elapsed.TotalSeconds:0} s after the first queries · blocks by level: {string.Join(", ", blocks.Select(b => $"L{b.Key} {b.Value:0}"))} · jobs committed: {string.Join(", ", Jobs(metrics, "committed").Select(j => $"L{j.Key}→L{j.Key + 1} {j.Value:0}"))}"));
        output.WriteLine(string.Create(Inv,
            $"time to first compaction: median {metrics.GetValueOrDefault("dprof_compaction_time_to_first_compaction_seconds{quantile=\"0.5\"}"):0.0} s over {metrics.GetValueOrDefault("dprof_compaction_time_to_first_compaction_seconds_count"):0} level-0 jobs"));
        output.WriteLine(string.Create(Inv,
            $"blocks after compaction: {totalBlocks:0} ({totalBlocks / Math.Max(1, shards):0.#} per shard over {shards} shards, for one hour of data)"));
        output.WriteLine(string.Create(Inv,
            $"bytes stored per profile: {totalBytes / profiles:0} B after compaction vs {(double)gzippedBytes / profiles:0} B of gzipped pprof sent ({totalBytes / gzippedBytes:0.00}×)"));
        return true;
    }

    private static async Task<Dictionary<string, double>> ReadAsync(HttpClient http)
    {
        var result = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var line in (await http.GetStringAsync("metrics")).Split('\n'))
        {
            var space = line.LastIndexOf(' ');
            if (line.Length > 0 && line[0] != '#' && space > 0
                && double.TryParse(line[(space + 1)..], NumberStyles.Float, Inv, out var value))
            {
                result[line[..space]] = value;
            }
        }

        return result;
    }

    private static SortedDictionary<int, double> Levels(Dictionary<string, double> metrics, string name)
    {
        var result = new SortedDictionary<int, double>();
        foreach (var (key, value) in metrics)
        {
            var match = LevelLabel().Match(key);
            if (match.Success && key.StartsWith(name + "{", StringComparison.Ordinal))
            {
                result[int.Parse(match.Groups[1].Value, Inv)] = value;
            }
        }

        return result;
    }

    private static SortedDictionary<int, double> Jobs(Dictionary<string, double> metrics, string state)
    {
        var result = new SortedDictionary<int, double>();
        foreach (var (key, value) in metrics)
        {
            var match = LevelLabel().Match(key);
            if (match.Success && key.StartsWith("dprof_compaction_jobs_total{", StringComparison.Ordinal)
                && key.Contains($"state=\"{state}\"", StringComparison.Ordinal))
            {
                result[int.Parse(match.Groups[1].Value, Inv)] = value;
            }
        }

        return result;
    }

    [GeneratedRegex("level=\"([0-9]+)\"")]
    private static partial Regex LevelLabel();
}
