using Dapr.Profiler.Mesh;
using Dapr.Profiler.Protos.Querier;
using Dapr.Profiler.Protos.QueryBackend;
using Microsoft.Extensions.Options;
using static Dapr.Profiler.QueryFrontend.Tests.Fixtures;

namespace Dapr.Profiler.QueryFrontend.Tests;

/// <summary>Bounds on what one request may ask for: matchers, selector length, series/bytes/nodes, time, concurrency.</summary>
public sealed class QueryLimitsTests
{
    private static readonly Dictionary<string, string?> Multitenant = new() { ["QueryFrontend:MultitenancyEnabled"] = "true" };

    [Fact]
    public async Task ThousandsOfMatchers_AreRefusedBeforeAnyWork_NamingTheSetting()
    {
        await using var host = await StartWithDataAsync();
        var request = new SeriesRequest { Start = Start, End = End };
        request.Matchers.AddRange(Enumerable.Repeat("{a=~\"[[:alpha:]]\"}", 5000));

        var answer = await host.PostProtoAsync("Series", request);

        Assert.Equal(400, answer.Status);
        Assert.Equal("invalid_argument", answer.Code);
        Assert.Contains("QueryFrontend:MaxMatchersPerQuery", answer.Message, StringComparison.Ordinal);
        Assert.Empty(host.Metastore.Requests);
        Assert.Empty(host.Backend.Requests);
    }

    [Fact]
    public async Task MatchersUpToTheLimit_AreAccepted_AndDiffCountsBothSides()
    {
        await using var host = await StartWithDataAsync(new Dictionary<string, string?> { ["QueryFrontend:MaxMatchersPerQuery"] = "3" });
        var series = new SeriesRequest { Start = Start, End = End };
        series.Matchers.AddRange(["{a=\"1\"}", "{b=\"2\", c=~\"x|y\"}"]);
        var side = new SelectMergeStacktracesRequest { ProfileTypeID = Cpu, Start = Start, End = End, LabelSelector = "{a=\"1\", b=\"2\"}" };

        await host.CallProtoAsync<SeriesResponse>("Series", series);
        var diff = await host.PostProtoAsync("Diff", new DiffRequest { Left = side, Right = side });

        Assert.Equal(400, diff.Status);
        Assert.Contains("QueryFrontend:MaxMatchersPerQuery", diff.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ATooLongSelector_IsRefused_NamingTheSetting_OnConnectAndRender()
    {
        await using var host = await StartWithDataAsync(new Dictionary<string, string?> { ["QueryFrontend:MaxSelectorLength"] = "64" });
        var selector = "{service_name=\"" + new string('x', 64) + "\"}";

        var connect = await host.PostProtoAsync(
            "SelectMergeStacktraces", new SelectMergeStacktracesRequest { ProfileTypeID = Cpu, Start = Start, End = End, LabelSelector = selector });
        var render = await host.GetAsync($"/pyroscope/render?query={Uri.EscapeDataString(Cpu + selector)}&from={Start}&until={End}");

        Assert.Equal((400, 400), (connect.Status, render.Status));
        Assert.Contains("QueryFrontend:MaxSelectorLength", connect.Message, StringComparison.Ordinal);
        Assert.Contains("QueryFrontend:MaxSelectorLength", render.Message, StringComparison.Ordinal);
        Assert.Empty(host.Backend.Requests);
    }

    [Fact]
    public async Task TheBudget_IsSentToTheBackend()
    {
        await using var host = await StartWithDataAsync(new Dictionary<string, string?>
        {
            ["QueryFrontend:MaxQuerySeries"] = "7",
            ["QueryFrontend:MaxQueryBytesRead"] = "8",
            ["QueryFrontend:MaxQueryTreeNodes"] = "0",
        });

        await host.CallProtoAsync<SelectMergeStacktracesResponse>("SelectMergeStacktraces", new SelectMergeStacktracesRequest { ProfileTypeID = Cpu, Start = Start, End = End });

        Assert.Equal(new QueryBudget { MaxSeries = 7, MaxBytesRead = 8 }, Assert.Single(host.Backend.Requests).Budget);
    }

    [Theory]
    [InlineData("MaxQuerySeries", "max_series")]
    [InlineData("MaxQueryBytesRead", "max_bytes_read")]
    [InlineData("MaxQueryTreeNodes", "max_tree_nodes")]
    public async Task ABackendOverTheBudget_Is429_NamingTheSetting(string setting, string field)
    {
        await using var host = await StartWithDataAsync(new Dictionary<string, string?> { ["QueryFrontend:" + setting] = "5" });
        host.Backend.Failure = new ServiceException(ServiceStatus.ResourceExhausted, $"query budget {field} exceeded: the query needs more than 5 things");

        var connect = await host.PostProtoAsync("SelectMergeStacktraces", new SelectMergeStacktracesRequest { ProfileTypeID = Cpu, Start = Start, End = End });
        var render = await host.GetAsync($"/pyroscope/render?query={Uri.EscapeDataString(Cpu + "{}")}&from={Start}&until={End}");

        Assert.Equal((429, "resource_exhausted"), (connect.Status, connect.Code));
        Assert.Contains($"QueryFrontend:{setting}", connect.Message, StringComparison.Ordinal);
        Assert.Equal(429, render.Status);
        Assert.Contains($"QueryFrontend:{setting}", render.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task APlanWhoseSummedStatisticsExceedTheBudget_Is429_EvenIfTheBackendDidNotEnforceIt()
    {
        await using var host = await StartWithDataAsync(new Dictionary<string, string?> { ["QueryFrontend:MaxQuerySeries"] = "10" });
        host.Backend.Stats = new ExecutionStats { BlocksRead = 3, SeriesRead = 11 };

        var answer = await host.PostProtoAsync("SelectSeries", new SelectSeriesRequest { ProfileTypeID = Cpu, Start = Start, End = End, Step = 15 });

        Assert.Equal(429, answer.Status);
        Assert.Contains("QueryFrontend:MaxQuerySeries", answer.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task QueriesBeyondATenantsConcurrencyLimit_Are429AtOnce_AndOtherTenantsAreUnaffected()
    {
        var settings = new Dictionary<string, string?>(Multitenant) { ["QueryFrontend:MaxConcurrentQueriesPerTenant"] = "2" };
        await using var host = await StartWithDataAsync(settings);
        host.Backend.GatedTenants = new HashSet<string> { "busy" };
        var request = new SelectMergeStacktracesRequest { ProfileTypeID = Cpu, Start = Start, End = End };
        var ct = TestContext.Current.CancellationToken;

        var held = new[] { host.PostProtoAsync("SelectMergeStacktraces", request, "busy"), host.PostProtoAsync("SelectMergeStacktraces", request, "busy") };
        await host.Backend.Entered.WaitAsync(ct);
        await host.Backend.Entered.WaitAsync(ct);
        var refused = await host.PostProtoAsync("SelectMergeStacktraces", request, "busy");
        var other = await host.PostProtoAsync("SelectMergeStacktraces", request, "quiet");
        host.Backend.Release.SetResult();
        var finished = await Task.WhenAll(held);
        var again = await host.PostProtoAsync("SelectMergeStacktraces", request, "busy");

        Assert.Equal((429, "resource_exhausted"), (refused.Status, refused.Code));
        Assert.Contains("QueryFrontend:MaxConcurrentQueriesPerTenant", refused.Message, StringComparison.Ordinal);
        Assert.Equal(200, other.Status);
        Assert.All(finished, a => Assert.Equal(200, a.Status));
        Assert.Equal(200, again.Status);
    }

    [Fact]
    public void TheConcurrencyLimiter_ForgetsTenantsWithoutRunningQueries()
    {
        var limiter = new TenantQueryLimiter(Options.Create(new QueryFrontendOptions { MaxConcurrentQueriesPerTenant = 1 }));

        for (var i = 0; i < 100; i++)
        {
            using var lease = limiter.Enter("tenant-" + i);
            Assert.Throws<ServiceException>(() => limiter.Enter("tenant-" + i));
        }

        var first = limiter.Enter("a");
        first.Dispose();
        first.Dispose();
        using var second = limiter.Enter("a");
        Assert.Equal(1, limiter.TenantsRunning);
        second.Dispose();
        Assert.Equal(0, limiter.TenantsRunning);
    }

    [Theory]
    [InlineData("ProfileTypes", "{\"start\":\"1700000010000\",\"end\":\"1700003610000\"}")]
    [InlineData("LabelNames", "{\"start\":\"1700000010000\",\"end\":\"1700003610000\"}")]
    [InlineData("LabelValues", "{\"name\":\"service_name\",\"start\":\"1700000010000\",\"end\":\"1700003610000\"}")]
    [InlineData("Series", "{\"labelNames\":[\"service_name\"],\"start\":\"1700000010000\",\"end\":\"1700003610000\"}")]
    [InlineData("GetProfileStats", "{}")]
    [InlineData("SelectMergeStacktraces", "{\"profileTypeID\":\"process_cpu:cpu:nanoseconds:cpu:nanoseconds\",\"start\":\"1700000010000\",\"end\":\"1700003610000\"}")]
    public async Task QueryTimeout_BoundsEveryMethod_MetastoreCallsIncluded(string method, string json)
    {
        await using var host = await StartWithDataAsync(new Dictionary<string, string?> { ["QueryFrontend:QueryTimeout"] = "00:00:00.200" });
        host.Metastore.Hang = true;

        var answer = await host.PostJsonAsync(method, json);
        host.Metastore.Hang = false;
        var after = await host.PostJsonAsync(method, json);

        Assert.Equal((504, "deadline_exceeded"), (answer.Status, answer.Code));
        Assert.Equal(200, after.Status);
    }

    [Fact]
    public async Task QueryTimeout_BoundsTheRenderApi()
    {
        await using var host = await StartWithDataAsync(new Dictionary<string, string?> { ["QueryFrontend:QueryTimeout"] = "00:00:00.200" });
        host.Backend.Hang = true;

        var render = await host.GetAsync($"/pyroscope/render?query={Uri.EscapeDataString(Cpu + "{}")}&from={Start}&until={End}");

        Assert.Equal((504, "deadline_exceeded"), (render.Status, render.Code));
    }

    [Theory]
    [InlineData("MaxMatchersPerQuery", "-1")]
    [InlineData("MaxSelectorLength", "-1")]
    [InlineData("MaxQuerySeries", "-1")]
    [InlineData("MaxQueryBytesRead", "-5")]
    [InlineData("MaxQueryTreeNodes", "-1")]
    [InlineData("MaxConcurrentQueriesPerTenant", "-1")]
    public async Task NegativeLimits_StopTheStart_NamingTheSetting(string setting, string value)
    {
        var ex = await Assert.ThrowsAnyAsync<Exception>(() => FrontendHost.StartAsync(new Dictionary<string, string?> { ["QueryFrontend:" + setting] = value }));

        Assert.Contains(setting, ex.ToString(), StringComparison.Ordinal);
    }
}
