using System.Globalization;
using System.Text.RegularExpressions;
using Dapr.Profiler.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;

namespace Dapr.Profiler.Cli.Tests;

/// <summary><c>dprof bench query</c> against a real server hosted in the test process, at a small size.</summary>
public sealed partial class QueryBenchTests
{
    [Fact]
    public async Task BenchQuery_IngestsEverything_ThenPrintsLatenciesAndBytesReadPerQuery()
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "dprof-query-bench-" + Guid.NewGuid().ToString("N"));
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = ["--urls", "http://127.0.0.1:0", "--data-dir", dataDir, "--Distributor:IngestionRateBytesPerSecond=0"],
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = "Production",
        });
        builder.Logging.ClearProviders();
        builder.AddProfilerServer();
        await using var app = builder.Build();
        app.MapProfilerServer();
        await app.StartAsync(TestContext.Current.CancellationToken);
        try
        {
            var url = app.Urls.Single();

            var (code, stdout, stderr) = await CliRunner.InProcessAsync(
                "bench", "query", "--url", url, "--services", "2", "--profiles-per-service", "60", "--queries", "3");

            Assert.True(code == 0, stderr + stdout);
            Assert.Matches(@"ingest: 120 profiles \(.*\) acknowledged in \d+\.\d s .* failed 0", stdout);
            var merge = QueryLine(stdout, "SelectMergeStacktraces");
            Assert.True(merge.P50 > 0 && merge.P99 >= merge.P50, stdout);
            Assert.True(merge.BytesRead > 0, stdout);
            var series = QueryLine(stdout, "SelectSeries (step 15 s)");
            Assert.True(series.P50 > 0 && series.BytesRead > 0, stdout);
            var values = QueryLine(stdout, "LabelValues (service_name)");
            Assert.True(values.P50 > 0, stdout);
        }
        finally
        {
            await app.StopAsync(TestContext.Current.CancellationToken);
            try
            {
                Directory.Delete(dataDir, recursive: true);
            }
            catch (IOException)
            {
                // Best effort: a temp directory left behind does not fail the test.
            }
        }
    }

    private static (double P50, double P99, long BytesRead) QueryLine(string stdout, string query)
    {
        var line = stdout.Split('\n').Single(l => l.StartsWith(query + ":", StringComparison.Ordinal));
        var match = Figures().Match(line);
        Assert.True(match.Success, line);
        return (
            double.Parse(match.Groups["p50"].Value, CultureInfo.InvariantCulture),
            double.Parse(match.Groups["p99"].Value, CultureInfo.InvariantCulture),
            long.Parse(match.Groups["bytes"].Value, CultureInfo.InvariantCulture));
    }

    [GeneratedRegex(@"p50 (?<p50>\d+\.\d\d) ms · p99 (?<p99>\d+\.\d\d) ms · bytes read (?<bytes>\d+)/query")]
    private static partial Regex Figures();
}
