using Dapr.Profiler.Protos.Metastore;
using Dapr.Profiler.Protos.Querier;
using Dapr.Profiler.Protos.QueryBackend;
using Dapr.Profiler.Protos.Types;
using static Dapr.Profiler.QueryFrontend.Tests.Fixtures;

namespace Dapr.Profiler.QueryFrontend.Tests;

/// <summary>SelectSeries turns the backend's per-bucket sums and counts into Pyroscope's series.</summary>
public sealed class SelectSeriesTests
{
    [Fact]
    public async Task Request_IsPassedOn_WithRightEdgeBuckets_AndReadsOneStepEarlier()
    {
        await using var host = await StartWithDataAsync();

        await host.CallProtoAsync<SelectSeriesResponse>("SelectSeries", new SelectSeriesRequest
        {
            ProfileTypeID = Cpu, LabelSelector = "{service_name=\"api\"}", Start = Start, End = End, Step = 60, GroupBy = { "pod" },
            ExemplarType = ExemplarType.Individual,
        });

        var invoke = Assert.Single(host.Backend.Requests);
        Assert.Equal((Start, End), (invoke.StartTime, invoke.EndTime));
        var query = Assert.Single(invoke.Query);
        Assert.Equal(QueryType.TimeSeries, query.Type);
        Assert.Equal(60, query.TimeSeries.Step);
        Assert.Equal(["pod"], query.TimeSeries.GroupBy);
        Assert.Equal(TimeSeriesAggregationType.Sum, query.TimeSeries.Aggregation);
        var lookup = host.Metastore.RequestsOf<QueryMetadataRequest>().Single();
        Assert.Equal(Start - 60_000, lookup.StartTime);
    }

    [Theory]
    [InlineData(TimeSeriesAggregationType.Sum, 10.0, 30.0)]
    [InlineData(TimeSeriesAggregationType.Average, 5.0, 10.0)]
    public async Task Aggregation_SumsOrAverages_AndOmitsEmptyBuckets(TimeSeriesAggregationType aggregation, double first, double second)
    {
        await using var host = await StartWithDataAsync();
        host.Backend.TimeSeries = new TimeSeriesReport
        {
            Series = { Reports.Series([], (Start, 10, 2), (Start + 15_000, 0, 0), (Start + 30_000, 30, 3)) },
        };

        var response = await host.CallProtoAsync<SelectSeriesResponse>("SelectSeries", new SelectSeriesRequest
        {
            ProfileTypeID = Cpu, Start = Start, End = End, Step = 15, Aggregation = aggregation,
        });

        var series = Assert.Single(response.Series);
        Assert.Empty(series.Labels);
        Assert.Equal([(Start, first), (Start + 30_000, second)], series.Points.Select(p => (p.Timestamp, p.Value)));
        Assert.All(series.Points, p => Assert.Empty(p.Exemplars));
    }

    [Fact]
    public async Task Limit_KeepsTheTopSeriesByTotal_LargestFirst()
    {
        await using var host = await StartWithDataAsync();
        host.Backend.TimeSeries = new TimeSeriesReport
        {
            Series =
            {
                Reports.Series([("pod", "a")], (Start, 10, 1)),
                Reports.Series([("pod", "b")], (Start, 20, 1), (Start + 15_000, 10, 1)),
                Reports.Series([("pod", "c")], (Start, 20, 1)),
                Reports.Series([("pod", "d")], (Start, 20, 1)),
            },
        };

        var limited = await host.CallProtoAsync<SelectSeriesResponse>("SelectSeries", new SelectSeriesRequest
        {
            ProfileTypeID = Cpu, Start = Start, End = End, Step = 15, GroupBy = { "pod" }, Limit = 3,
        });
        var all = await host.CallProtoAsync<SelectSeriesResponse>("SelectSeries", new SelectSeriesRequest
        {
            ProfileTypeID = Cpu, Start = Start, End = End, Step = 15, GroupBy = { "pod" },
        });

        Assert.Equal(["b", "c", "d"], limited.Series.Select(s => s.Labels.Single().Value));
        Assert.Equal(["b", "c", "d", "a"], all.Series.Select(s => s.Labels.Single().Value));
    }

    [Fact]
    public async Task SeriesLabels_AreOnlyTheGroupByLabels_AndSeriesThatBecomeEqualAreMerged()
    {
        await using var host = await StartWithDataAsync();
        host.Backend.TimeSeries = new TimeSeriesReport
        {
            Series =
            {
                Reports.Series([("pod", "a"), ("service_name", "api")], (Start, 10, 1)),
                Reports.Series([("pod", "a"), ("service_name", "web")], (Start, 5, 1), (Start + 15_000, 1, 1)),
                Reports.Series([("pod", "b"), ("service_name", "web")], (Start, 2, 1)),
            },
        };

        var grouped = await host.CallProtoAsync<SelectSeriesResponse>("SelectSeries", new SelectSeriesRequest
        {
            ProfileTypeID = Cpu, Start = Start, End = End, Step = 15, GroupBy = { "pod" },
        });
        var ungrouped = await host.CallProtoAsync<SelectSeriesResponse>("SelectSeries", new SelectSeriesRequest
        {
            ProfileTypeID = Cpu, Start = Start, End = End, Step = 15,
        });

        Assert.Equal(2, grouped.Series.Count);
        Assert.Equal([new LabelPair { Name = "pod", Value = "a" }], grouped.Series[0].Labels);
        Assert.Equal([(Start, 15.0), (Start + 15_000, 1.0)], grouped.Series[0].Points.Select(p => (p.Timestamp, p.Value)));
        var single = Assert.Single(ungrouped.Series);
        Assert.Empty(single.Labels);
        Assert.Equal([(Start, 17.0), (Start + 15_000, 1.0)], single.Points.Select(p => (p.Timestamp, p.Value)));
    }

    [Fact]
    public async Task NoBlocks_AnswersNoSeries()
    {
        await using var host = await FrontendHost.StartAsync();

        var answer = await host.PostJsonAsync("SelectSeries", $"{{\"profileTypeID\":\"{Cpu}\",\"start\":\"{Start}\",\"end\":\"{End}\",\"step\":15}}");

        Assert.Equal(200, answer.Status);
        Assert.Equal("{}", answer.Text);
        Assert.Empty(host.Backend.Requests);
    }
}
