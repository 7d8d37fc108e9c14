using Dapr.Profiler.Protos.Metastore;
using ProfileTypesRequest = Dapr.Profiler.Protos.Querier.ProfileTypesRequest;
using ProfileTypesResponse = Dapr.Profiler.Protos.Querier.ProfileTypesResponse;
using Dapr.Profiler.Protos.Querier;
using static Dapr.Profiler.QueryFrontend.Tests.Fixtures;

namespace Dapr.Profiler.QueryFrontend.Tests;

/// <summary>A tenant only ever sees its own data: its id is the only one that reaches the metastore and the backend.</summary>
public sealed class TenancyTests
{
    private static readonly Dictionary<string, string?> Multitenant = new() { ["QueryFrontend:MultitenancyEnabled"] = "true" };

    [Fact]
    public async Task MultitenancyOn_TheHeaderTenant_IsWhatReachesTheMetastoreAndTheBackend()
    {
        await using var host = await StartWithDataAsync(Multitenant);

        await host.CallProtoAsync<SelectMergeStacktracesResponse>(
            "SelectMergeStacktraces", new SelectMergeStacktracesRequest { ProfileTypeID = Cpu, Start = Start, End = End }, tenant: "team-a");
        await host.CallProtoAsync<ProfileTypesResponse>("ProfileTypes", new ProfileTypesRequest { Start = Start, End = End }, tenant: "team-b");
        await host.CallProtoAsync<GetProfileStatsResponse>("GetProfileStats", new GetProfileStatsRequest(), tenant: "team-c");
        var render = await host.GetAsync($"/pyroscope/render?query={Uri.EscapeDataString(Cpu + "{}")}&from={Start}&until={End}", tenant: "team-d");

        Assert.Equal(200, render.Status);
        Assert.Equal([["team-a"], ["team-d"], ["team-d"]], host.Metastore.RequestsOf<QueryMetadataRequest>().Select(r => r.TenantId.ToArray()));
        Assert.All(host.Backend.Requests.Take(1), r => Assert.Equal(["team-a"], r.TenantId));
        Assert.All(host.Backend.Requests.Skip(1), r => Assert.Equal(["team-d"], r.TenantId));
        Assert.Equal(["team-b"], host.Metastore.RequestsOf<MetadataQueryRequest>().Single().TenantId);
        Assert.Equal("team-c", host.Metastore.RequestsOf<TenantStatsRequest>().Single().TenantId);
    }

    [Fact]
    public async Task MultitenancyOn_WithoutTheHeader_Is401_OnEveryApi()
    {
        await using var host = await StartWithDataAsync(Multitenant);

        var connect = await host.PostProtoAsync("ProfileTypes", new ProfileTypesRequest { Start = Start, End = End });
        var render = await host.GetAsync("/pyroscope/label-values?label=__name__");

        foreach (var answer in new[] { connect, render })
        {
            Assert.Equal(401, answer.Status);
            Assert.Equal("unauthenticated", answer.Code);
            Assert.Contains("no org id", answer.Message, StringComparison.Ordinal);
            Assert.Contains("QueryFrontend:MultitenancyEnabled", answer.Message, StringComparison.Ordinal);
        }

        Assert.Empty(host.Metastore.Requests);
    }

    [Fact]
    public async Task MultitenancyOn_AnInvalidTenant_Is400()
    {
        await using var host = await StartWithDataAsync(Multitenant);

        var answer = await host.PostProtoAsync("ProfileTypes", new ProfileTypesRequest { Start = Start, End = End }, tenant: "team/a");

        Assert.Equal(400, answer.Status);
        Assert.Equal("invalid_argument", answer.Code);
        Assert.Contains("unsupported character '/'", answer.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MultitenancyOff_TheHeaderIsIgnored_AndEverythingIsAnonymous()
    {
        await using var host = await StartWithDataAsync();

        await host.CallProtoAsync<SelectSeriesResponse>(
            "SelectSeries", new SelectSeriesRequest { ProfileTypeID = Cpu, Start = Start, End = End, Step = 15 }, tenant: "team-a");

        Assert.Equal(["anonymous"], host.Metastore.RequestsOf<QueryMetadataRequest>().Single().TenantId);
        Assert.Equal(["anonymous"], host.Backend.Requests.Single().TenantId);
    }
}
