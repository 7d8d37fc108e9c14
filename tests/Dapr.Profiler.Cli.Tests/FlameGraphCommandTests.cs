using Dapr.Profiler.Model;
using Dapr.Profiler.Protos.Querier;
using Dapr.Profiler.TestKit;
using Google.Protobuf;

namespace Dapr.Profiler.Cli.Tests;

public sealed class FlameGraphCommandTests
{
    [Theory]
    [InlineData("go-cpu.pb.gz", null, "cpu")]
    [InlineData("go-cpu-3.pb.gz", "samples", "samples")]
    [InlineData("go-heap.pb.gz", "alloc_space", "alloc_space")]
    [InlineData("node-heap.pb.gz", null, "inuse_space")]
    [InlineData("go-mutex.pb.gz", null, "delay")]
    public async Task FlameGraph_IsQuerierProtojson_WithTheIndependentTotalsAndSelfValues(string file, string? sampleType, string expectedType)
    {
        var expected = Corpus.Expect(file);
        string[] args = sampleType is null
            ? ["flamegraph", Corpus.ProfilePath(file)]
            : ["flamegraph", Corpus.ProfilePath(file), "--sample-type", sampleType];

        var (code, stdout, stderr) = await CliRunner.InProcessAsync(args);

        Assert.Equal(0, code);
        Assert.Empty(stderr);
        Assert.StartsWith("{ \"names\": [ \"total\"", stdout, StringComparison.Ordinal);
        Assert.Contains($"\"total\": \"{expected.Totals[expectedType]}\"", stdout, StringComparison.Ordinal);
        var graph = JsonParser.Default.Parse<FlameGraph>(stdout);
        Assert.Equal(expected.Totals[expectedType], graph.Total);
        var selfByName = new Dictionary<string, long>(StringComparer.Ordinal);
        var maxNodeSelf = 0L;
        foreach (var (path, self, _) in FlameGraphDecoder.Decode(graph).Nodes())
        {
            maxNodeSelf = Math.Max(maxNodeSelf, self);
            if (self > 0)
            {
                selfByName[path[^1]] = selfByName.GetValueOrDefault(path[^1]) + self;
            }
        }

        Assert.Equal(expected.FunctionSelf[expectedType].OrderBy(kv => kv.Key, StringComparer.Ordinal), selfByName.OrderBy(kv => kv.Key, StringComparer.Ordinal));
        // maxSelf is the largest self of one node; a function may appear at several nodes (recursion).
        Assert.Equal(maxNodeSelf, graph.MaxSelf);
        Assert.True(graph.MaxSelf <= expected.FunctionSelf[expectedType].Values.Max());
    }

    [Fact]
    public async Task FlameGraph_MaxNodes_FoldsSmallNodesIntoOther_KeepingTheTotal()
    {
        var (code, stdout, _) = await CliRunner.InProcessAsync("flamegraph", Corpus.ProfilePath("go-cpu-2.pb.gz"), "--max-nodes", "5");

        Assert.Equal(0, code);
        var graph = JsonParser.Default.Parse<FlameGraph>(stdout);
        Assert.Contains("other", graph.Names);
        Assert.Equal(Corpus.Expect("go-cpu-2.pb.gz").Totals["cpu"], graph.Total);
    }

    [Fact]
    public async Task FlameGraph_UnknownSampleType_IsAUsageError()
    {
        var (code, _, stderr) = await CliRunner.InProcessAsync("flamegraph", Corpus.ProfilePath("go-cpu.pb.gz"), "--sample-type", "nope");

        Assert.Equal(2, code);
        Assert.Contains("sample type \"nope\" is not in the profile (it has: samples, cpu)", stderr, StringComparison.Ordinal);
    }
}
