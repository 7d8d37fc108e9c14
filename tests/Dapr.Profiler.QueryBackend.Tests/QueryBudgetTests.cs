using Dapr.Profiler.Mesh;
using Dapr.Profiler.Model;
using Dapr.Profiler.Protos.QueryBackend;
using static Dapr.Profiler.QueryBackend.Tests.CorpusSeries;

namespace Dapr.Profiler.QueryBackend.Tests;

/// <summary>The request's budget: a query that needs more series, bytes or tree nodes fails instead of reading on.</summary>
public sealed class QueryBudgetTests
{
    private const long Second = 1000;

    [Fact]
    public async Task WithinTheBudget_TheQueryAnswers_AndReportsWhatItUsed()
    {
        using var cluster = new TestCluster();
        var (plan, _, _) = await TwoLeavesAsync(cluster);

        var response = await cluster.InvokeAsync(Budgeted(plan, new QueryBudget()));
        var used = response.Stats;
        var exact = await cluster.InvokeAsync(Budgeted(plan, new QueryBudget { MaxSeries = used.SeriesRead, MaxBytesRead = used.BytesRead, MaxTreeNodes = used.TreeNodes }));

        Assert.True(used.SeriesRead >= 2 && used.BytesRead > 0 && used.TreeNodes > 0, used.ToString());
        Assert.True(TreeReportCodec.ToStackTree(response.Reports[0].Tree).TreeEquals(TreeReportCodec.ToStackTree(exact.Reports[0].Tree)));
    }

    [Theory]
    [InlineData("max_series")]
    [InlineData("max_bytes_read")]
    [InlineData("max_tree_nodes")]
    public async Task OneLeafOverTheBudget_FailsTheQuery_WithResourceExhaustedNamingTheLimit(string field)
    {
        using var cluster = new TestCluster();
        var (plan, _, _) = await TwoLeavesAsync(cluster);
        var budget = field switch
        {
            "max_series" => new QueryBudget { MaxSeries = 1 },
            "max_bytes_read" => new QueryBudget { MaxBytesRead = 1 },
            _ => new QueryBudget { MaxTreeNodes = 1 },
        };

        var ex = await Assert.ThrowsAsync<ServiceException>(() => cluster.InvokeAsync(Budgeted(plan, budget)));

        Assert.Equal(ServiceStatus.ResourceExhausted, ex.Status);
        Assert.StartsWith($"query budget {field} exceeded", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LeavesWithinTheBudget_WhoseSumIsNot_FailAtTheMergeNode()
    {
        using var cluster = new TestCluster();
        var (plan, left, right) = await TwoLeavesAsync(cluster);
        var leftUsed = (await cluster.InvokeAsync(Budgeted(left, new QueryBudget()))).Stats;
        var rightUsed = (await cluster.InvokeAsync(Budgeted(right, new QueryBudget()))).Stats;
        var budget = new QueryBudget { MaxTreeNodes = Math.Max(leftUsed.TreeNodes, rightUsed.TreeNodes) };

        await cluster.InvokeAsync(Budgeted(left, budget));
        await cluster.InvokeAsync(Budgeted(right, budget));
        var ex = await Assert.ThrowsAsync<ServiceException>(() => cluster.InvokeAsync(Budgeted(plan, budget)));

        Assert.Equal(ServiceStatus.ResourceExhausted, ex.Status);
        Assert.Contains("max_tree_nodes", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ACancelledQuery_StopsReading()
    {
        using var cluster = new TestCluster();
        var (plan, _, _) = await TwoLeavesAsync(cluster);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cluster.Service.InvokeAsync(Budgeted(plan, new QueryBudget()), cancelled.Token));
        Assert.Equal(0, cluster.Metrics.BlocksRead);
    }

    private static InvokeRequest Budgeted(PlanNode plan, QueryBudget budget)
    {
        var request = Plans.Request(plan, Plans.Cpu("svc"), T0, T0 + (60 * Second), Plans.Tree());
        request.Budget = budget;
        return request;
    }

    private static async Task<(PlanNode Plan, PlanNode Left, PlanNode Right)> TwoLeavesAsync(TestCluster cluster)
    {
        var b1 = await cluster.WriteSegmentAsync(Tenant, Load("go-cpu.pb.gz", "svc{env=a}", T0), Load("go-cpu-2.pb.gz", "svc{env=b}", T0));
        var b2 = await cluster.WriteSegmentAsync(Tenant, Load("go-cpu-3.pb.gz", "svc{env=c}", T0 + (10 * Second)));
        var left = Plans.Read(b1);
        var right = Plans.Read(b2);
        return (Plans.Merge(left, right), left, right);
    }
}
