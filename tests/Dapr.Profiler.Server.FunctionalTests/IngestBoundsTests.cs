using Dapr.Profiler.Server.FunctionalTests.Hosting;
using Dapr.Profiler.Server.FunctionalTests.Support;
using Dapr.Profiler.TestKit;

namespace Dapr.Profiler.Server.FunctionalTests;

/// <summary>
/// Hostile profiles against the whole server: a tiny profile that expands to millions of frames is stored cut to
/// the depth limit, so the flame graph stays small; values whose total overflows int64 are refused at the door.
/// </summary>
public sealed class IngestBoundsTests
{
    private const string Cpu = "process_cpu:cpu:nanoseconds:cpu:nanoseconds";

    [Fact]
    public async Task OneLocationOf5000InlinedLines_Referenced5000Times_IsStoredCut_AndItsFlameGraphHasAtMost1001Levels()
    {
        var cancel = TestContext.Current.CancellationToken;
        // The lines limit raised so that the profile reaches the depth limit (at 512 it would be a 413).
        await using var server = await InProcessServer.StartAsync("--Distributor:MaxLinesPerLocation=5000");
        var now = DateTimeOffset.UtcNow;
        var body = IngestRequests.Gzip(HostileProfiles.InlinedStack(5000, 5000, now.ToUnixTimeMilliseconds() * 1_000_000));

        await server.SendOkAsync(IngestRequests.Ingest("/ingest?format=pprof&name=deep-app", IngestRequests.Bytes(body)), cancel);

        var from = now.AddHours(-1).ToUnixTimeMilliseconds();
        var until = now.AddHours(1).ToUnixTimeMilliseconds();
        var graph = await new Querier(server).MergeAsync(Cpu, "{service_name=\"deep-app\"}", from, until);
        Assert.Equal(1, graph.Total);
        Assert.True(graph.Levels.Count <= 1001, $"{graph.Levels.Count} levels");
        Assert.Contains("other", graph.Names);
        Assert.Contains("f4999", graph.Names);
    }

    [Fact]
    public async Task TwoSamplesOfTheLargestInt64_AreRejectedWith400_NamingTheOverflow()
    {
        var cancel = TestContext.Current.CancellationToken;
        await using var server = await InProcessServer.StartAsync();
        var body = HostileProfiles.Values(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000, long.MaxValue, long.MaxValue);

        var answer = await server.SendAsync(IngestRequests.Ingest("/ingest?format=pprof&name=huge-app", IngestRequests.Bytes(body)), cancel);

        Assert.True(answer.StatusCode == 400, answer.ToString());
        Assert.Equal("invalid_argument", answer.Code);
        Assert.Contains("overflows int64", answer.Message, StringComparison.Ordinal);
        Assert.Contains("\"cpu\"", answer.Message, StringComparison.Ordinal);
    }
}
