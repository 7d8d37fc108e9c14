using Dapr.Profiler.Protos.Metastore;
using LabelNamesRequest = Dapr.Profiler.Protos.Types.LabelNamesRequest;
using ProfileTypesResponse = Dapr.Profiler.Protos.Querier.ProfileTypesResponse;
using Dapr.Profiler.Protos.Querier;
using Dapr.Profiler.Protos.QueryBackend;
using Dapr.Profiler.Protos.Types;
using static Dapr.Profiler.QueryFrontend.Tests.Fixtures;
using TypesLabelValuesRequest = Dapr.Profiler.Protos.Types.LabelValuesRequest;

namespace Dapr.Profiler.QueryFrontend.Tests;

/// <summary>
/// Metadata questions come from the metastore; the query-backend is asked only when the metastore cannot answer
/// exactly (matchers on labels it does not index, truncated value lists, projections on other labels).
/// </summary>
public sealed class MetadataTests
{
    [Fact]
    public async Task ProfileTypes_AreSortedById_AndDefaultToTheLastHour()
    {
        await using var host = await StartWithDataAsync();
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        var response = await host.CallJsonAsync<ProfileTypesResponse>("ProfileTypes", "{}");

        Assert.Equal([AllocSpace, Cpu], response.ProfileTypes.Select(t => t.ID));
        Assert.Equal("bytes", response.ProfileTypes[0].SampleUnit);
        var ask = host.Metastore.RequestsOf<MetadataQueryRequest>().Single();
        Assert.InRange(ask.EndTime, before, before + 60_000);
        Assert.Equal(3_600_000, ask.EndTime - ask.StartTime);
        Assert.Empty(ask.Matchers);
    }

    [Fact]
    public async Task LabelNames_FromTheMetastore_AreSorted_WithDunderNames()
    {
        await using var host = await StartWithDataAsync();
        host.Metastore.LabelNames = new Protos.Metastore.LabelNamesResponse { Names = { "service_name", "__name__", "pod", "__profile_type__" } };

        var response = await host.CallProtoAsync<Protos.Types.LabelNamesResponse>("LabelNames", new LabelNamesRequest
        {
            Matchers = { $"{{service_name=\"api\", __profile_type__=\"{Cpu}\"}}" }, Start = Start, End = End,
        });

        Assert.Equal(["__name__", "__profile_type__", "pod", "service_name"], response.Names);
        var ask = host.Metastore.RequestsOf<MetadataQueryRequest>().Single();
        Assert.Equal([$"{{service_name=\"api\", __profile_type__=\"{Cpu}\"}}"], ask.Matchers);
        Assert.Equal((Start, End), (ask.StartTime, ask.EndTime));
        Assert.Empty(host.Backend.Requests);
    }

    [Fact]
    public async Task LabelNames_WithAMatcherOnAnUnindexedLabel_AskTheBackend()
    {
        await using var host = await StartWithDataAsync();

        var response = await host.CallProtoAsync<Protos.Types.LabelNamesResponse>("LabelNames", new LabelNamesRequest
        {
            Matchers = { "{service_name=\"api\", pod=\"p-1\"}" }, Start = Start, End = End,
        });

        Assert.Equal(["alpha", "zeta"], response.Names);
        var invoke = Assert.Single(host.Backend.Requests);
        Assert.Equal(QueryType.LabelNames, invoke.Query.Single().Type);
        Assert.Equal("{service_name=\"api\", pod=\"p-1\"}", invoke.LabelSelector);
        Assert.Equal("{service_name=\"api\"}", host.Metastore.RequestsOf<QueryMetadataRequest>().Single().Query);
    }

    [Fact]
    public async Task LabelValues_TruncatedInTheMetastore_AreReadByTheBackend()
    {
        await using var host = await StartWithDataAsync();
        host.Metastore.LabelValues = new Protos.Metastore.LabelValuesResponse { Names = { "p-1" }, Truncated = true };
        host.Backend.Labels = new LabelReport { Names = { "p-2", "p-1", "p-3" } };

        var response = await host.CallProtoAsync<Protos.Types.LabelValuesResponse>("LabelValues", new TypesLabelValuesRequest
        {
            Name = "pod", Matchers = { "{service_name=\"api\"}" }, Start = Start, End = End,
        });

        Assert.Equal(["p-1", "p-2", "p-3"], response.Names);
        var ask = host.Metastore.RequestsOf<Protos.Metastore.LabelValuesRequest>().Single();
        Assert.Equal("pod", ask.Name);
        var query = host.Backend.Requests.Single().Query.Single();
        Assert.Equal(QueryType.LabelValues, query.Type);
        Assert.Equal("pod", query.Labels.Name);
    }

    [Fact]
    public async Task LabelValues_WithoutName_IsInvalid()
    {
        await using var host = await StartWithDataAsync();

        var answer = await host.PostJsonAsync("LabelValues", $"{{\"start\":\"{Start}\",\"end\":\"{End}\"}}");

        Assert.Equal(400, answer.Status);
        Assert.Equal("name is required", answer.Message);
    }

    [Fact]
    public async Task Series_ProjectedOnIndexLabels_ComeFromTheMetastore_OtherwiseFromTheBackend()
    {
        await using var host = await StartWithDataAsync();
        var pod = new Labels { Labels_ = { new LabelPair { Name = "pod", Value = "p-1" } } };
        var app = new Labels { Labels_ = { new LabelPair { Name = "app", Value = "x" } } };
        host.Backend.Labels = new LabelReport { LabelsSet = { pod, app } };

        var indexed = await host.CallJsonAsync<SeriesResponse>(
            "Series", $"{{\"matchers\":[\"{{}}\"],\"labelNames\":[\"service_name\",\"__profile_type__\"],\"start\":\"{Start}\",\"end\":\"{End}\"}}");
        var other = await host.CallProtoAsync<SeriesResponse>("Series", new SeriesRequest { LabelNames = { "pod" }, Start = Start, End = End });

        Assert.Equal("api", indexed.LabelsSet.Single().Labels_.Single().Value);
        var ask = host.Metastore.RequestsOf<SeriesLabelsRequest>().Single();
        Assert.Equal(["service_name", "__profile_type__"], ask.LabelNames);
        Assert.Equal([app, pod], other.LabelsSet);
        var query = host.Backend.Requests.Single().Query.Single();
        Assert.Equal(QueryType.SeriesLabels, query.Type);
        Assert.Equal(["pod"], query.Labels.LabelNames);
    }

    [Fact]
    public async Task GetProfileStats_ComesFromTheTenantStats()
    {
        await using var host = await StartWithDataAsync();

        var stats = await host.CallProtoAsync<GetProfileStatsResponse>("GetProfileStats", new GetProfileStatsRequest());

        Assert.True(stats.DataIngested);
        Assert.Equal((Start, End), (stats.OldestProfileTime, stats.NewestProfileTime));
        Assert.Equal("anonymous", host.Metastore.RequestsOf<TenantStatsRequest>().Single().TenantId);
    }
}
