using System.Diagnostics;
using System.Globalization;
using Dapr.Profiler.Protos.Querier;
using Dapr.Profiler.Server.FunctionalTests.Hosting;
using Dapr.Profiler.Server.FunctionalTests.Support;
using Dapr.Profiler.TestKit;

namespace Dapr.Profiler.Server.FunctionalTests;

/// <summary>
/// Hostile queries and hostile data cannot take the query path down: bounded selectors, per-query budgets, and sums
/// that saturate instead of wrapping when stored values add up past 2^63 − 1.
/// </summary>
public sealed class QueryLimitsTests
{
    private const long Huge = 1L << 62;

    [Fact]
    public async Task ProfilesWhoseSumExceedsInt64_StillAnswerEveryQuery_WithSaturatedTotals()
    {
        await using var server = await InProcessServer.StartAsync();
        var querier = new Querier(server);
        var now = DateTimeOffset.UtcNow;
        var ct = TestContext.Current.CancellationToken;

        // Each profile is legal (2^62 twice, under 2^63); three of them sum to 6 * 2^62 on main, 3 * 2^62 on each leaf.
        for (var i = 0; i < 3; i++)
        {
            var from = now.AddMinutes(-10 + i).ToUnixTimeSeconds();
            var body = string.Create(CultureInfo.InvariantCulture, $"main;work {Huge}\nmain;idle {Huge - 1}\n");
            await server.SendOkAsync(IngestRequests.Ingest($"/ingest?name=huge-app.alloc_space&from={from}", IngestRequests.Text(body)), ct);
        }

        var start = now.AddHours(-1).ToUnixTimeMilliseconds();
        var end = now.AddMinutes(1).ToUnixTimeMilliseconds();
        var type = Assert.Single(await querier.ProfileTypesAsync(start, end));
        const string Selector = "{service_name=\"huge-app\"}";

        var flameGraph = await querier.MergeAsync(type, Selector, start, end);
        var truncated = (await querier.CallAsync(
            "SelectMergeStacktraces",
            new SelectMergeStacktracesRequest(Querier.MergeRequest(type, Selector, start, end)) { MaxNodes = 1 },
            SelectMergeStacktracesResponse.Parser)).Flamegraph;
        var profile = await querier.MergeProfileAsync(type, Selector, start, end);
        var diff = await querier.DiffAsync(Querier.MergeRequest(type, Selector, start, end), Querier.MergeRequest(type, Selector, start, end));
        var series = await querier.SelectSeriesAsync(type, Selector, start, end, 60);
        var render = await querier.RenderAsync(type, Selector, start, end);

        Assert.Equal(long.MaxValue, flameGraph.Total);
        Assert.All(flameGraph.Levels.Concat(truncated.Levels).SelectMany(l => l.Values), v => Assert.True(v >= 0, flameGraph.ToString()));
        Assert.Equal(long.MaxValue, truncated.Total);
        Assert.All(profile.Sample, s => Assert.Equal(long.MaxValue, s.Value[0]));
        Assert.Equal(2, profile.Sample.Count);
        Assert.Equal((long.MaxValue, long.MaxValue, long.MaxValue), (diff.LeftTicks, diff.RightTicks, diff.Total));
        Assert.All(diff.Levels.SelectMany(l => l.Values), v => Assert.True(v >= 0, diff.ToString()));
        Assert.True(Querier.PointSum(series) > 0, series.ToString());
        Assert.Equal(long.MaxValue, render.GetProperty("flamebearer").GetProperty("numTicks").GetInt64());
    }

    [Fact]
    public async Task FiveThousandMatchersInOneSeriesRequest_Answer400AtOnce_NamingTheSetting()
    {
        await using var server = await InProcessServer.StartAsync();
        var request = new SeriesRequest { Start = 1, End = ServerApi.AllTimeEndMs };
        request.Matchers.AddRange(Enumerable.Repeat("{a=~\"[[:alpha:]]\"}", 5000));

        var clock = Stopwatch.StartNew();
        var answer = await new Querier(server).PostAsync("Series", request);
        clock.Stop();

        Assert.Equal(400, answer.StatusCode);
        Assert.Equal("invalid_argument", answer.Code);
        Assert.Contains("QueryFrontend:MaxMatchersPerQuery", answer.Message, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task ASelectorOverMaxSelectorLength_Answers400_NamingTheSetting()
    {
        await using var server = await InProcessServer.StartAsync();
        var selector = "{service_name=\"" + new string('a', 17 * 1024) + "\"}";

        var answer = await new Querier(server).PostAsync(
            "SelectMergeStacktraces", Querier.MergeRequest("process_cpu:cpu:nanoseconds:cpu:nanoseconds", selector, 1, ServerApi.AllTimeEndMs));

        Assert.Equal(400, answer.StatusCode);
        Assert.Contains("QueryFrontend:MaxSelectorLength", answer.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("MaxQuerySeries")]
    [InlineData("MaxQueryBytesRead")]
    [InlineData("MaxQueryTreeNodes")]
    public async Task AQueryOverItsBudget_Answers429_NamingTheLimit_AndSmallerQueriesStillAnswer(string setting)
    {
        await using var server = await InProcessServer.StartAsync($"--QueryFrontend:{setting}=1");
        var querier = new Querier(server);
        var ct = TestContext.Current.CancellationToken;
        await server.SendOkAsync(IngestRequests.Ingest("/ingest?name=budget-a.cpu", IngestRequests.Text("main;work 5\n")), ct);
        await server.SendOkAsync(IngestRequests.Ingest("/ingest?name=budget-b.cpu", IngestRequests.Text("main;rest 7\n")), ct);
        const string Cpu = "process_cpu:cpu:nanoseconds:cpu:nanoseconds";
        var start = DateTimeOffset.UtcNow.AddHours(-1).ToUnixTimeMilliseconds();

        var flameGraph = await querier.PostAsync("SelectMergeStacktraces", Querier.MergeRequest(Cpu, "{}", start, ServerApi.AllTimeEndMs));
        var render = await querier.GetAsync(Querier.RenderPath(Cpu, "{}", start, ServerApi.AllTimeEndMs));
        var metadata = await querier.ProfileTypesAsync(start, ServerApi.AllTimeEndMs);

        Assert.Equal((429, "resource_exhausted"), (flameGraph.StatusCode, flameGraph.Code));
        Assert.Contains($"QueryFrontend:{setting}", flameGraph.Message, StringComparison.Ordinal);
        Assert.Equal(429, render.StatusCode);
        Assert.Contains($"QueryFrontend:{setting}", render.Message, StringComparison.Ordinal);
        Assert.Equal([Cpu], metadata);
    }
}
