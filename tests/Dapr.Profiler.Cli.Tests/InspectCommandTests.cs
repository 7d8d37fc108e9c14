using System.Globalization;
using Dapr.Profiler.TestKit;

namespace Dapr.Profiler.Cli.Tests;

public sealed class InspectCommandTests
{
    [Theory]
    [InlineData("go-cpu.pb.gz", "cpu")]
    [InlineData("go-allocs.pb.gz", "alloc_space")]
    [InlineData("go-heap.pb.gz", "inuse_space")]
    [InlineData("node-wall.pb.gz", "cpu")]
    public async Task Inspect_PrintsTotalsAndTopFunctions_AsTheIndependentReaderFoundThem(string file, string defaultType)
    {
        var expected = Corpus.Expect(file);

        var (code, stdout, stderr) = await CliRunner.InProcessAsync("inspect", Corpus.ProfilePath(file));

        Assert.Equal(0, code);
        Assert.Empty(stderr);
        Assert.Contains($"samples:      {expected.SampleCount}", stdout, StringComparison.Ordinal);
        foreach (var (type, total) in expected.Totals)
        {
            Assert.Matches($@"(?m)^  {System.Text.RegularExpressions.Regex.Escape(type)}\s+{total} ", stdout);
        }

        Assert.Contains($"functions by self {defaultType} ", stdout, StringComparison.Ordinal);
        var topLines = stdout[stdout.IndexOf("self%", StringComparison.Ordinal)..].Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).ToArray();
        var top = expected.TopSelf[defaultType];
        Assert.Equal(top.Count, topLines.Length);
        for (var i = 0; i < top.Count; i++)
        {
            var parts = topLines[i].Trim().Split(' ', 3, StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(top[i].Self, long.Parse(parts[0], CultureInfo.InvariantCulture));
            Assert.Equal(top[i].Function, topLines[i][(topLines[i].IndexOf('%', StringComparison.Ordinal) + 3)..].TrimEnd('\r'));
        }
    }

    [Fact]
    public async Task Inspect_FoldedText_ReadsSampleCounts()
    {
        var expected = Corpus.Expect("folded-sample.txt");

        var (code, stdout, _) = await CliRunner.InProcessAsync("inspect", Corpus.ProfilePath("folded-sample.txt"));

        Assert.Equal(0, code);
        Assert.Contains("(folded,", stdout, StringComparison.Ordinal);
        Assert.Matches($@"(?m)^  samples\s+{expected.Totals["samples"]} count", stdout);
        Assert.Contains(expected.TopSelf["samples"][0].Function, stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Inspect_RawUncompressedPprof_Works()
    {
        var raw = global::Dapr.Profiler.Model.Gzip.Decompress(Corpus.ReadProfile("go-cpu.pb.gz"), long.MaxValue);
        var path = Path.Combine(Path.GetTempPath(), $"dprof-raw-{Guid.NewGuid():N}.pb");
        await File.WriteAllBytesAsync(path, raw, TestContext.Current.CancellationToken);
        try
        {
            var (code, stdout, _) = await CliRunner.InProcessAsync("inspect", path);
            Assert.Equal(0, code);
            Assert.Contains("pprof (raw)", stdout, StringComparison.Ordinal);
            Assert.Contains("main.fib", stdout, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Inspect_TotalsBeyondInt64_ArePrintedNotCrashed()
    {
        var profile = new global::Dapr.Profiler.Protos.Pprof.Profile();
        profile.StringTable.Add(["", "samples", "count", "main"]);
        profile.SampleType.Add(new global::Dapr.Profiler.Protos.Pprof.ValueType { Type = 1, Unit = 2 });
        profile.Function.Add(new global::Dapr.Profiler.Protos.Pprof.Function { Id = 1, Name = 3 });
        profile.Location.Add(new global::Dapr.Profiler.Protos.Pprof.Location { Id = 1, Line = { new global::Dapr.Profiler.Protos.Pprof.Line { FunctionId = 1 } } });
        profile.Sample.Add(new global::Dapr.Profiler.Protos.Pprof.Sample { LocationId = { 1 }, Value = { (long.MaxValue / 2) + 1 } });
        profile.Sample.Add(new global::Dapr.Profiler.Protos.Pprof.Sample { LocationId = { 1 }, Value = { (long.MaxValue / 2) + 1 } });
        var path = Path.Combine(Path.GetTempPath(), $"dprof-big-{Guid.NewGuid():N}.pb");
        await File.WriteAllBytesAsync(path, Google.Protobuf.MessageExtensions.ToByteArray(profile), TestContext.Current.CancellationToken);
        try
        {
            var (code, stdout, _) = await CliRunner.InProcessAsync("inspect", path);
            Assert.Equal(0, code);
            Assert.Contains("9223372036854775808 count", stdout, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
