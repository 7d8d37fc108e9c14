using System.Text.RegularExpressions;

namespace Dapr.Profiler.Cli.Tests;

/// <summary><c>dprof chaos ingest</c> and <c>dprof soak</c> against a real server hosted in the test process.</summary>
public sealed partial class ChaosAndSoakTests
{
    [Fact]
    public async Task ChaosIngest_Seed7_ServerSurvivesEveryHostileRequest()
    {
        await using var server = await LoopbackServer.StartAsync();

        var (code, stdout, stderr) = await CliRunner.InProcessAsync(
            "chaos", "ingest", "--url", server.Url, "--seed", "7", "--requests", "300", "--concurrency", "4");

        Assert.True(code == 0, stderr + stdout);
        Assert.Contains("failures: 0", stdout, StringComparison.Ordinal);
        Assert.Contains("baseline answers: unchanged", stdout, StringComparison.Ordinal);
        Assert.Matches(@"total\s+300\s", stdout);
        foreach (var category in new[] { "pprof-mutation", "gzip-bomb", "multipart", "ingest-query", "push-body", "selector", "querier-body", "time-range" })
        {
            Assert.Matches($@"(?m)^{category}\s+\d+", stdout);
        }

        Assert.Matches(@"peak server RSS: \d+ MiB \(limit 2048 MiB\)", stdout);
    }

    [Fact]
    public async Task Soak_PrintsALinePerIntervalAndASummary_WithoutErrors()
    {
        await using var server = await LoopbackServer.StartAsync();

        var (code, stdout, stderr) = await CliRunner.InProcessAsync("soak", "--url", server.Url, "--minutes", "0.1", "--rate", "20");

        Assert.True(code == 0, stderr + stdout);
        var lines = IntervalLine().Matches(stdout);
        Assert.True(lines.Count >= 2, stdout);
        Assert.All(lines, l => Assert.True(long.Parse(l.Groups["rss"].Value, System.Globalization.CultureInfo.InvariantCulture) > 0, l.Value));
        Assert.Contains(lines, l => l.Groups["acks"].Value != "0");
        Assert.Matches(@"summary: \d+\.\d s · \d+ profiles acknowledged · \d+ queries · errors 0", stdout);
        Assert.Matches(@"server RSS: first interval \d+ MiB · last interval \d+ MiB · max \d+ MiB", stdout);
    }

    [Fact]
    public async Task Chaos_WithoutASeed_IsAUsageError()
    {
        var (code, _, stderr) = await CliRunner.InProcessAsync("chaos", "ingest", "--requests", "5");

        Assert.Equal(2, code);
        Assert.Contains("--seed is required", stderr, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"\[\s*\d+\.\d s\] rss (?<rss>\d+) MiB · gc heap \d+ MiB · gc gen0/1/2 \d+/\d+/\d+ · ingest (?<acks>\d+) acks p50 \d+\.\d ms p99 \d+\.\d ms · query p50 \d+\.\d ms \(\d+\) · errors 0")]
    private static partial Regex IntervalLine();
}
