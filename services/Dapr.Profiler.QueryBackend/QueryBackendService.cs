using System.Diagnostics;
using Dapr.Profiler.Mesh;
using Dapr.Profiler.ObjectStorage;
using Dapr.Profiler.Protos.QueryBackend;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Dapr.Profiler.QueryBackend;

/// <summary>
/// Executes a query plan (<c>querybackend.v1.QueryBackendService/Invoke</c>), like Pyroscope v2's query-backend.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><b>MERGE</b> node: each child is invoked through the mesh as its own <c>Invoke</c> (a copy of the request
/// whose plan is the child), at most <see cref="QueryBackendOptions.MaxConcurrency"/> at once, so under Dapr the
/// work spreads over the replicas; the children's reports are merged per query as they arrive. Any child failure
/// fails the node (and cancels the other children).</item>
/// <item><b>READ</b> node: reads the planned datasets of the request's tenants (see <see cref="ReadNodeExecutor"/>),
/// skips objects that no longer exist (deleted after planning), and fails with Unavailable on other storage errors
/// and Internal on corrupt blocks.</item>
/// <item>Every node answers one report per query, in request order, and the statistics of its subtree: blocks and
/// datasets read and bytes fetched from object storage. READ nodes also add their blocks and bytes to
/// <see cref="QueryBackendMetrics"/> (MERGE nodes do not, so each byte counts once). Trees are truncated to
/// <c>max_nodes</c> at every node (READ and MERGE), like Pyroscope between stages (<see cref="TreeReports.Truncate"/>),
/// so reports stay small and the total stays exact; with <c>max_nodes</c> = 0 every plan shape gives exactly the same
/// tree.</item>
/// <item>The request's <see cref="QueryBudget"/> (series, bytes read, tree nodes) is enforced by every node on its
/// subtree (<see cref="QueryBudgetTracker"/>): a READ node stops reading once over it, a MERGE node once its children's
/// sum is, cancelling the rest; either fails with ResourceExhausted naming the budget field. Cancellation stops reads
/// and aggregation between datasets.</item>
/// </list>
/// </remarks>
public sealed class QueryBackendService
{
    /// <summary>Set while a MERGE node invokes its children, so an in-process child is not counted as a query.</summary>
    private static readonly AsyncLocal<bool> InvokedByMerge = new();

    private readonly QueryBackendOptions _options;
    private readonly IServiceInvoker _invoker;
    private readonly ILogger _logger;
    private readonly ReadNodeExecutor _reader;
    private readonly QueryBackendMetrics _metrics;

    public QueryBackendService(
        IOptions<QueryBackendOptions> options,
        IObjectStore store,
        IServiceInvoker invoker,
        ILogger<QueryBackendService>? logger = null,
        QueryBackendMetrics? metrics = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(invoker);
        _options = options.Value;
        _invoker = invoker;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _metrics = metrics ?? new QueryBackendMetrics();
        _reader = new ReadNodeExecutor(store, _options, _logger);
    }

    /// <summary>Runs the plan node of <paramref name="request"/> and answers one report per query.</summary>
    /// <exception cref="ServiceException">InvalidArgument for a request that cannot run (no plan, tenant or query, a bad
    /// selector, step or query, series of several profile types for a pprof); Unavailable when object storage fails;
    /// Internal for corrupt blocks or malformed child reports; or a child's own failure.</exception>
    public async Task<InvokeResponse> InvokeAsync(InvokeRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var scope = InvocationScope.Parse(request);
        var aggregators = request.Query.Select(q => QueryAggregator.Create(q, scope)).ToArray();
        if (!InvokedByMerge.Value)
        {
            _metrics.QueryStarted();
        }

        var started = Stopwatch.GetTimestamp();
        var plan = request.Plan;
        var stats = plan.Type switch
        {
            PlanNode.Types.Type.Read => await _reader.ExecuteAsync(scope, plan, aggregators, cancellationToken),
            PlanNode.Types.Type.Merge => await MergeAsync(request, scope.Budget, aggregators, cancellationToken),
            _ => throw new ServiceException(ServiceStatus.InvalidArgument, $"unsupported plan node type {plan.Type}"),
        };
        var elapsedMs = (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        if (plan.Type == PlanNode.Types.Type.Read)
        {
            _metrics.Read(stats.BlocksRead, stats.BytesRead);
            Log.ReadCompleted(_logger, plan.Blocks.Count, aggregators.Length, elapsedMs, stats.BlocksRead, stats.DatasetsRead, stats.BytesRead);
        }
        else
        {
            Log.MergeCompleted(_logger, plan.Children.Count, aggregators.Length, elapsedMs, stats.BlocksRead, stats.DatasetsRead, stats.BytesRead);
        }

        var response = new InvokeResponse { Stats = stats };
        foreach (var aggregator in aggregators)
        {
            response.Reports.Add(aggregator.Build());
        }

        return response;
    }

    /// <summary>The request a MERGE node sends for one child: the same request with the child as its plan.</summary>
    internal static InvokeRequest ChildRequest(InvokeRequest request, PlanNode child)
    {
        var copy = new InvokeRequest
        {
            StartTime = request.StartTime,
            EndTime = request.EndTime,
            LabelSelector = request.LabelSelector,
            Plan = child,
            Budget = request.Budget,
        };
        copy.TenantId.AddRange(request.TenantId);
        copy.Query.AddRange(request.Query);
        return copy;
    }

    private async Task<ExecutionStats> MergeAsync(
        InvokeRequest request, QueryBudgetTracker budget, QueryAggregator[] aggregators, CancellationToken cancellationToken)
    {
        var stats = new ExecutionStats();
        var gate = new Lock();
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = _options.MaxConcurrency, CancellationToken = cancellationToken };

        // Flows into the children's invocations (through the in-process invoker) and is undone when this method returns.
        InvokedByMerge.Value = true;
        try
        {
            await Parallel.ForEachAsync(request.Plan.Children, parallel, async (child, ct) =>
            {
                var response = await _invoker.InvokeAsync<InvokeRequest, InvokeResponse>(
                    DaprNames.AppIds.QueryBackend, DaprNames.Methods.QueryBackendInvoke, ChildRequest(request, child), ct);
                if (response.Reports.Count != aggregators.Length)
                {
                    throw new ServiceException(
                        ServiceStatus.Internal, $"a child invocation answered {response.Reports.Count} reports for {aggregators.Length} queries");
                }

                for (var i = 0; i < aggregators.Length; i++)
                {
                    var report = response.Reports[i];
                    if (report.Type != aggregators[i].Type)
                    {
                        throw new ServiceException(
                            ServiceStatus.Internal, $"a child invocation answered a {report.Type} report for a {aggregators[i].Type} query");
                    }

                    aggregators[i].AddReport(report);
                }

                if (response.Stats is { } childStats)
                {
                    lock (gate)
                    {
                        stats.BlocksRead += childStats.BlocksRead;
                        stats.DatasetsRead += childStats.DatasetsRead;
                        stats.BytesRead += childStats.BytesRead;
                        stats.SeriesRead += childStats.SeriesRead;
                        stats.TreeNodes += childStats.TreeNodes;
                    }

                    // The sum over the children is the whole subtree's: over budget, the other children are cancelled.
                    budget.Add(childStats);
                }
            });
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.ChildFailed(_logger, ex);
            throw;
        }

        return stats;
    }
}
