using Dapr.Profiler.Model;
using Dapr.Profiler.Protos.Block;
using Dapr.Profiler.Protos.QueryBackend;
using FsCheck;
using FsCheck.Fluent;
using static Dapr.Profiler.QueryBackend.Tests.CorpusSeries;

namespace Dapr.Profiler.QueryBackend.Tests;

/// <summary>Six blocks, each holding some CPU profiles of <c>svc</c> and data of other services, shared by the property.</summary>
public sealed class PlanShapeFixture : IAsyncLifetime
{
    private static readonly string[] Files = [.. GoCpuFiles, "go-cpu.pb.gz", "go-cpu-3.pb.gz"];

    internal TestCluster Cluster { get; } = new(new Dictionary<string, string?> { ["QueryBackend:MaxConcurrency"] = "3", ["QueryBackend:ReadConcurrency"] = "2" });

    internal List<BlockMeta> Blocks { get; } = [];

    internal StackTree Expected { get; } = MergedTree("cpu", Files);

    public async ValueTask InitializeAsync()
    {
        for (var i = 0; i < Files.Length; i++)
        {
            Blocks.Add(await Cluster.WriteSegmentAsync(
                Tenant, Load(Files[i], $"svc{{env=e{i % 2}}}", T0 + (i * 1000)), Load("go-heap.pb.gz", $"heap-{i}", T0)));
        }
    }

    public ValueTask DisposeAsync()
    {
        Cluster.Dispose();
        return ValueTask.CompletedTask;
    }
}

public sealed class PlanShapePropertyTests(PlanShapeFixture fixture) : IClassFixture<PlanShapeFixture>
{
    /// <summary>
    /// A plan over the given blocks: a READ leaf of them, or a MERGE of 1–4 children over a split of them (children
    /// may be empty READ nodes), with the blocks in any order.
    /// </summary>
    private static Gen<PlanNode> PlanGen(IReadOnlyList<BlockMeta> blocks, int depth) =>
        from leaf in depth >= 4 ? Gen.Constant(true) : Gen.Frequency((2, Gen.Constant(true)), (3, Gen.Constant(false)))
        from plan in leaf ? Gen.Constant(Plans.Read(blocks)) : MergeGen(blocks, depth)
        select plan;

    private static Gen<PlanNode> MergeGen(IReadOnlyList<BlockMeta> blocks, int depth) =>
        from fanIn in Gen.Choose(1, 4)
        from assignment in Gen.Choose(0, fanIn - 1).ArrayOf(blocks.Count)
        from children in Gen.CollectToList(Enumerable.Range(0, fanIn)
            .Select(c => PlanGen([.. blocks.Where((_, i) => assignment[i] == c)], depth + 1)))
        select Plans.Merge(children);

    private static Gen<PlanNode> RootGen(IReadOnlyList<BlockMeta> blocks) =>
        from order in Gen.Shuffle(blocks.ToArray())
        from plan in PlanGen(order, 0)
        select plan;

    private static string Describe(PlanNode node) => node.Type == PlanNode.Types.Type.Read
        ? $"R[{string.Join(",", node.Blocks.Select(b => b.Id[^4..]))}]"
        : $"M({string.Join(" ", node.Children.Select(Describe))})";

    private static int Count(PlanNode node) => 1 + node.Children.Sum(Count);

    [Fact]
    public void AnyPlanShape_OverTheSameBlocks_GivesTheSameTree_AndReadsEveryBlockOnce()
    {
        var arbitrary = RootGen(fixture.Blocks).ToArbitrary();
        Prop.ForAll(arbitrary, plan => Task.Run(async () =>
        {
            var calls = fixture.Cluster.Invoker.Calls;
            var response = await fixture.Cluster.InvokeAsync(
                Plans.Request(plan, Plans.Cpu("svc"), T0, T0 + 60_000, Plans.Tree(), Plans.TimeSeries(60)));

            var tree = TreeReportCodec.ToStackTree(response.Reports[0].Tree);
            Assert.True(fixture.Expected.TreeEquals(tree), $"plan {Describe(plan)}");
            var series = Assert.Single(response.Reports[1].TimeSeries.Series);
            Assert.Equal((double)fixture.Expected.Total, series.Sum.Sum());
            Assert.Equal(fixture.Blocks.Count, series.Count.Sum());
            Assert.Equal(fixture.Blocks.Count, response.Stats.BlocksRead);
            Assert.Equal(fixture.Blocks.Count, response.Stats.DatasetsRead);
            Assert.Equal(Count(plan), fixture.Cluster.Invoker.Calls - calls);
        })).QuickCheckThrowOnFailure();
    }
}
