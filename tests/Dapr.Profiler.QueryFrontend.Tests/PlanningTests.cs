using Dapr.Profiler.Protos.Block;
using Dapr.Profiler.Protos.Metastore;
using ProfileTypesRequest = Dapr.Profiler.Protos.Querier.ProfileTypesRequest;
using ProfileTypesResponse = Dapr.Profiler.Protos.Querier.ProfileTypesResponse;
using Dapr.Profiler.Protos.Querier;
using Dapr.Profiler.Protos.QueryBackend;
using static Dapr.Profiler.QueryFrontend.Tests.Fixtures;

namespace Dapr.Profiler.QueryFrontend.Tests;

/// <summary>Queries are planned from block metadata: READ leaves of ≤ 4 blocks, MERGE nodes of ≤ 20 children.</summary>
public sealed class PlanningTests
{
    [Theory]
    [InlineData(1, 0)]
    [InlineData(4, 0)]
    [InlineData(5, 1)]
    [InlineData(80, 1)]
    [InlineData(81, 2)]
    [InlineData(1601, 3)]
    public void Build_UsesEveryBlockOnce_WithBoundedLeavesAndFanIn(int blocks, int mergeLevels)
    {
        var metas = Enumerable.Range(0, blocks).Select(i => new BlockMeta { Id = $"b{i}" }).ToArray();

        var plan = QueryPlanner.Build(metas, 4, 20);

        AssertShape(plan, metas.Select(b => b.Id), mergeLevels);
    }

    [Fact]
    public async Task SelectMergeStacktraces_PlansAllBlocksOfTheMetastore_AndInvokesTheBackendOnce()
    {
        await using var host = await FrontendHost.StartAsync();
        host.Metastore.AddBlocks(85);
        host.Backend.Tree = ExampleTree();

        var response = await host.CallProtoAsync<SelectMergeStacktracesResponse>("SelectMergeStacktraces", new SelectMergeStacktracesRequest
        {
            ProfileTypeID = Cpu, LabelSelector = "{service_name=\"app\", env=~\"prod.*\"}", Start = Start, End = End, MaxNodes = 512,
        });

        Assert.Equal(100, response.Flamegraph.Total);
        var lookup = Assert.Single(host.Metastore.RequestsOf<QueryMetadataRequest>());
        Assert.Equal($"{{service_name=\"app\", __profile_type__=\"{Cpu}\"}}", lookup.Query);
        Assert.Equal(["anonymous"], lookup.TenantId);
        Assert.Equal((Start, End), (lookup.StartTime, lookup.EndTime));

        var invoke = Assert.Single(host.Backend.Requests);
        Assert.Equal($"{{service_name=\"app\", env=~\"prod.*\", __profile_type__=\"{Cpu}\"}}", invoke.LabelSelector);
        Assert.Equal(["anonymous"], invoke.TenantId);
        Assert.Equal((Start, End), (invoke.StartTime, invoke.EndTime));
        var query = Assert.Single(invoke.Query);
        Assert.Equal(QueryType.Tree, query.Type);
        Assert.Equal(512, query.Tree.MaxNodes);
        AssertShape(invoke.Plan, host.Metastore.Blocks.Select(b => b.Id), mergeLevels: 2);
    }

    [Fact]
    public async Task RegexServiceMatcher_IsLeftToTheBackend_AndTheMetastoreGetsOnlyTheProfileType()
    {
        await using var host = await FrontendHost.StartAsync();
        host.Metastore.AddBlocks(1);

        await host.CallProtoAsync<SelectMergeStacktracesResponse>("SelectMergeStacktraces", new SelectMergeStacktracesRequest
        {
            ProfileTypeID = Cpu, LabelSelector = "{pod=\"p-1\"}", Start = Start, End = End,
        });

        Assert.Equal($"{{__profile_type__=\"{Cpu}\"}}", host.Metastore.RequestsOf<QueryMetadataRequest>().Single().Query);
        var plan = host.Backend.Requests.Single().Plan;
        Assert.Equal(PlanNode.Types.Type.Read, plan.Type);
        Assert.Single(plan.Blocks);
    }

    [Fact]
    public async Task CallSiteSelector_AndSpanSelectors_ReachTheQueryOrEmptyTheAnswer()
    {
        await using var host = await FrontendHost.StartAsync();
        host.Metastore.AddBlocks(2);
        host.Backend.Tree = ExampleTree();
        var callSite = new Protos.Types.StackTraceSelector { CallSite = { new Protos.Types.Location { Name = "main" }, new Protos.Types.Location { Name = "foo" } } };

        var selected = await host.CallProtoAsync<SelectMergeStacktracesResponse>("SelectMergeStacktraces", new SelectMergeStacktracesRequest
        {
            ProfileTypeID = Cpu, Start = Start, End = End, StackTraceSelector = callSite,
        });
        var spans = await host.CallProtoAsync<SelectMergeStacktracesResponse>("SelectMergeStacktraces", new SelectMergeStacktracesRequest
        {
            ProfileTypeID = Cpu, Start = Start, End = End, SpanSelector = { "9a8b7c6d5e4f3a2b" },
        });

        Assert.Equal(100, selected.Flamegraph.Total);
        Assert.Equal(["main", "foo"], host.Backend.Requests.Single().Query[0].Tree.CallSite);
        Assert.Equal(0, spans.Flamegraph.Total);
        Assert.Equal(["total"], spans.Flamegraph.Names);
    }

    [Fact]
    public async Task NoBlocks_AnswersTheEmptyFlameGraph_WithoutCallingTheBackend()
    {
        await using var host = await FrontendHost.StartAsync();

        var answer = await host.PostJsonAsync("SelectMergeStacktraces", $"{{\"profileTypeID\":\"{Cpu}\",\"start\":\"{Start}\",\"end\":\"{End}\"}}");

        Assert.Equal(200, answer.Status);
        Assert.Equal("{\"flamegraph\":{\"names\":[\"total\"],\"levels\":[{\"values\":[\"0\",\"0\",\"0\",\"0\"]}]}}", answer.Text);
        Assert.Empty(host.Backend.Requests);
        Assert.Contains(host.Logs.Entries, e => e.EventId.Id == 7001);
    }

    [Fact]
    public async Task MetadataQuestions_NeverReachTheBackend()
    {
        await using var host = await StartWithDataAsync();

        await host.CallProtoAsync<ProfileTypesResponse>("ProfileTypes", new ProfileTypesRequest { Start = Start, End = End });
        await host.CallProtoAsync<Protos.Types.LabelNamesResponse>("LabelNames", new Protos.Types.LabelNamesRequest { Matchers = { "{service_name=\"api\"}" }, Start = Start, End = End });
        await host.CallProtoAsync<Protos.Types.LabelValuesResponse>("LabelValues", new Protos.Types.LabelValuesRequest { Name = "pod", Start = Start, End = End });
        await host.CallProtoAsync<SeriesResponse>("Series", new SeriesRequest { LabelNames = { "service_name", "__profile_type__" }, Start = Start, End = End });
        await host.CallProtoAsync<GetProfileStatsResponse>("GetProfileStats", new GetProfileStatsRequest());

        Assert.Empty(host.Backend.Requests);
        Assert.Empty(host.Metastore.RequestsOf<QueryMetadataRequest>());
    }

    /// <summary>Every leaf reads ≤ 4 blocks, every merge has 2..20 children, all leaves at one depth, each block once.</summary>
    private static void AssertShape(PlanNode root, IEnumerable<string> expectedBlocks, int mergeLevels)
    {
        var seen = new List<string>();
        var leafDepths = new HashSet<int>();
        Walk(root, 0);
        Assert.Equal(expectedBlocks.Order(StringComparer.Ordinal), seen.Order(StringComparer.Ordinal));
        Assert.Equal([mergeLevels], leafDepths);

        void Walk(PlanNode node, int depth)
        {
            if (node.Type == PlanNode.Types.Type.Read)
            {
                Assert.Empty(node.Children);
                Assert.InRange(node.Blocks.Count, 1, 4);
                seen.AddRange(node.Blocks.Select(b => b.Id));
                leafDepths.Add(depth);
                return;
            }

            Assert.Equal(PlanNode.Types.Type.Merge, node.Type);
            Assert.Empty(node.Blocks);
            Assert.InRange(node.Children.Count, 1, 20);
            foreach (var child in node.Children)
            {
                Walk(child, depth + 1);
            }
        }
    }
}
