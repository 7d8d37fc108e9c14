using System.Globalization;
using System.Text.RegularExpressions;
using Dapr.Profiler.Model;
using Dapr.Profiler.Server.FunctionalTests.Hosting;
using Dapr.Profiler.Server.FunctionalTests.Support;
using Dapr.Profiler.TestKit;

namespace Dapr.Profiler.Server.FunctionalTests;

/// <summary>
/// The <c>dprof</c> executable against a running server: <c>upload</c> of a real Go pprof and of folded text, then
/// <c>query profile-types|labels|merge|series</c> print what the query API answers.
/// </summary>
public sealed partial class CliTests(CliTests.Uploaded uploaded) : IClassFixture<CliTests.Uploaded>
{
    private const string Cpu = "process_cpu:cpu:nanoseconds:cpu:nanoseconds";
    private const string GoSelector = "{service_name=\"cli-go\"}";
    private const string FoldedSelector = "{service_name=\"cli-folded\"}";

    [Fact]
    public void Upload_OfPprofAndFolded_ExitsZero_AndSaysWhatItSent()
    {
        var (pprof, folded) = (uploaded.PprofUpload, uploaded.FoldedUpload);
        Assert.True(pprof.ExitCode == 0, pprof.ToString());
        Assert.Contains("(pprof, ", pprof.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("as cli-go{env=cli}", pprof.StandardOutput, StringComparison.Ordinal);
        Assert.True(folded.ExitCode == 0, folded.ToString());
        Assert.Contains("(folded, ", folded.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task QueryProfileTypes_PrintsTheApisProfileTypes()
    {
        var result = await Dprof.RunOkAsync(["query", "profile-types", .. uploaded.Common]);
        var api = await new Querier(uploaded.Server).ProfileTypesAsync(uploaded.StartMs, uploaded.EndMs);
        Assert.Equal(api, Dprof.Lines(result));
        Assert.Contains(Cpu, api);
    }

    [Fact]
    public async Task QueryLabels_PrintsTheApisLabelNamesAndValues()
    {
        var querier = new Querier(uploaded.Server);
        var names = await Dprof.RunOkAsync(["query", "labels", "--query", GoSelector, .. uploaded.Common]);
        Assert.Equal(await querier.LabelNamesAsync(GoSelector, uploaded.StartMs, uploaded.EndMs), Dprof.Lines(names));
        Assert.Contains("env", Dprof.Lines(names));

        var services = await Dprof.RunOkAsync(["query", "labels", "--name", "service_name", .. uploaded.Common]);
        Assert.Equal(["cli-folded", "cli-go"], Dprof.Lines(services).Order(StringComparer.Ordinal));
        Assert.Equal(await querier.LabelValuesAsync("service_name", "{}", uploaded.StartMs, uploaded.EndMs), Dprof.Lines(services));
    }

    [Fact]
    public async Task QueryMerge_PrintsTheTotalAndTheTopFunctions_OfTheMergedFlameGraph()
    {
        var result = await Dprof.RunOkAsync(["query", "merge", "--profile-type", Cpu, "--query", GoSelector, .. uploaded.Common]);
        var lines = Dprof.Lines(result);
        var expectation = Corpus.Expect("go-cpu.pb.gz");
        Assert.Equal($"total: {expectation.Totals["cpu"]}", lines[0]);

        // Every printed function line has the self value of the API's flame graph and of the independent reader.
        var graph = await new Querier(uploaded.Server).MergeAsync(Cpu, GoSelector, uploaded.StartMs, uploaded.EndMs);
        var self = Querier.SelfByFunction(graph);
        var printed = lines.Skip(1).Select(l => FunctionLine().Match(l)).ToArray();
        Assert.All(printed, m => Assert.True(m.Success, result.ToString()));
        Assert.Equal(Math.Min(20, self.Count), printed.Length);
        foreach (var match in printed)
        {
            var (name, value) = (match.Groups["name"].Value, long.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture));
            Assert.Equal(self[name], value);
            Assert.Equal(expectation.FunctionSelf["cpu"][name], value);
        }

        Assert.Equal("main.fib", printed[0].Groups["name"].Value);
    }

    [Fact]
    public async Task QueryMerge_WithOutput_WritesThePprofTheApiMerges()
    {
        var path = Path.Combine(Path.GetTempPath(), "dprof-cli-" + Guid.NewGuid().ToString("N")[..12] + ".pb.gz");
        try
        {
            var result = await Dprof.RunOkAsync(["query", "merge", "--profile-type", Cpu, "--query", GoSelector, "--output", path, .. uploaded.Common]);
            Assert.StartsWith($"wrote {path}: ", Dprof.Lines(result)[0], StringComparison.Ordinal);

            var written = await File.ReadAllBytesAsync(path, TestContext.Current.CancellationToken);
            var profile = PprofDecoder.Decode(written);
            Assert.Equal("cpu", profile.StringTable[(int)profile.SampleType.Single().Type]);
            Assert.Equal(Corpus.Expect("go-cpu.pb.gz").Totals["cpu"], profile.Sample.Sum(s => s.Value[0]));

            var api = await new Querier(uploaded.Server).MergeProfileAsync(Cpu, GoSelector, uploaded.StartMs, uploaded.EndMs);
            Assert.Equal(PprofContent.Canonical(api), PprofContent.Canonical(written));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task QuerySeries_PrintsTheApisPoints()
    {
        var result = await Dprof.RunOkAsync(["query", "series", "--profile-type", Cpu, "--query", FoldedSelector, "--step", "15", .. uploaded.Common]);
        var lines = Dprof.Lines(result);
        var api = await new Querier(uploaded.Server).SelectSeriesAsync(Cpu, FoldedSelector, uploaded.StartMs, uploaded.EndMs, 15);

        var points = api.Series.Single().Points;
        Assert.Equal(1 + points.Count, lines.Count);
        Assert.Equal("{}", lines[0]);
        for (var i = 0; i < points.Count; i++)
        {
            var time = DateTimeOffset.FromUnixTimeMilliseconds(points[i].Timestamp).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
            Assert.Equal($"  {time} {points[i].Value.ToString(CultureInfo.InvariantCulture)}", lines[1 + i]);
        }

        // The folded upload: 1628 samples at the default 100 Hz are 16.28 s of CPU.
        Assert.Equal(Corpus.Expect("folded-sample.txt").Totals["samples"] * 10_000_000d, points.Sum(p => p.Value));
        var merge = await Dprof.RunOkAsync(["query", "merge", "--profile-type", Cpu, "--query", FoldedSelector, .. uploaded.Common]);
        Assert.Equal($"total: {Corpus.Expect("folded-sample.txt").Totals["samples"] * 10_000_000}", Dprof.Lines(merge)[0]);
    }

    [Fact]
    public async Task BadUsage_ExitsTwo_AndARefusedUpload_ExitsOne()
    {
        var usage = await Dprof.RunAsync(["query", "merge", "--query", GoSelector, .. uploaded.Common]);
        Assert.True(usage.ExitCode == 2, usage.ToString());
        Assert.Contains("--profile-type is required", usage.StandardError, StringComparison.Ordinal);

        // An app name with a character Pyroscope refuses: the server's 400 is reported, exit code 1.
        var refused = await Dprof.RunAsync(["upload", Corpus.ProfilePath("go-cpu.pb.gz"), "--url", uploaded.Url, "--name", "bad name{env=cli}"]);
        Assert.True(refused.ExitCode == 1, refused.ToString());
        Assert.Contains("HTTP 400", refused.StandardError, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"^\s+(?<value>\d+)\s+[\d.]+%\s+(?<name>.+)$")]
    private static partial Regex FunctionLine();

    /// <summary>A server with a Go CPU profile and a folded profile, both sent by <c>dprof upload</c>.</summary>
    public sealed class Uploaded : IAsyncLifetime
    {
        private InProcessServer? _server;

        public InProcessServer Server => _server ?? throw new InvalidOperationException("not started");

        public string Url => Server.BaseAddress.ToString();

        /// <summary>A minute before the Go profile's time.</summary>
        public long StartMs { get; private set; }

        /// <summary>Ten 15 s steps after <see cref="StartMs"/>.</summary>
        public long EndMs { get; private set; }

        /// <summary><c>--url</c>, <c>--from</c> and <c>--to</c> (Unix ms) of every query.</summary>
        public string[] Common => ["--url", Url, "--from", StartMs.ToString(CultureInfo.InvariantCulture), "--to", EndMs.ToString(CultureInfo.InvariantCulture)];

        public ProcessResult PprofUpload { get; private set; } = null!;

        public ProcessResult FoldedUpload { get; private set; } = null!;

        public async ValueTask InitializeAsync()
        {
            _server = await InProcessServer.StartAsync();
            var goSeconds = Corpus.Expect("go-cpu.pb.gz").TimeNanos / 1_000_000_000;
            StartMs = (goSeconds - 60) * 1000;
            EndMs = StartMs + 150_000;
            PprofUpload = await Dprof.RunAsync("upload", Corpus.ProfilePath("go-cpu.pb.gz"), "--url", Url, "--name", "cli-go{env=cli}");
            FoldedUpload = await Dprof.RunAsync(
                "upload", Corpus.ProfilePath("folded-sample.txt"), "--url", Url, "--name", "cli-folded{env=cli}", "--from", (goSeconds + 10).ToString(CultureInfo.InvariantCulture));
        }

        public async ValueTask DisposeAsync()
        {
            if (_server is not null)
            {
                await _server.DisposeAsync();
            }
        }
    }
}
