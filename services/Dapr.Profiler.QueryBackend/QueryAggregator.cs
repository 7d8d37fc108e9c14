using Dapr.Profiler.Block;
using Dapr.Profiler.Mesh;
using Dapr.Profiler.Model;
using Dapr.Profiler.Protos.QueryBackend;

namespace Dapr.Profiler.QueryBackend;

/// <summary>
/// Accumulates the result of one query of a request: from datasets (READ nodes) or from the reports of child
/// invocations (MERGE nodes), then builds one <see cref="Report"/>. Both Add methods are thread-safe: the expensive
/// part (reading a dataset, decoding a report) runs outside the lock and only the merge runs under it.
/// </summary>
internal abstract class QueryAggregator(InvocationScope scope, QueryType type)
{
    protected InvocationScope Scope { get; } = scope;

    public QueryType Type { get; } = type;

    /// <summary>The rows a READ node must read for this query: Unix ms, inclusive.</summary>
    public virtual (long From, long To) ReadRange => (Scope.StartMs, Scope.EndMs);

    public static QueryAggregator Create(Query query, InvocationScope scope) => query.Type switch
    {
        QueryType.Tree => new TreeAggregator(scope, query.Tree ?? new TreeQuery()),
        QueryType.TimeSeries => new TimeSeriesAggregator(scope, query.TimeSeries),
        QueryType.Pprof => new PprofAggregator(scope, query.Pprof ?? new PprofQuery()),
        QueryType.LabelNames or QueryType.LabelValues or QueryType.SeriesLabels =>
            new LabelsAggregator(scope, query.Type, query.Labels ?? new LabelQuery()),
        _ => throw new ServiceException(ServiceStatus.InvalidArgument, $"unsupported query type {query.Type}"),
    };

    /// <summary>Adds what the query selects from one dataset (READ nodes).</summary>
    /// <exception cref="ServiceException">The query cannot be answered from this data (InvalidArgument).</exception>
    /// <exception cref="BlockFormatException">The dataset is corrupt.</exception>
    public abstract void AddDataset(DatasetReader dataset);

    /// <summary>Adds the report of a child invocation (MERGE nodes); its type is this query's type.</summary>
    /// <exception cref="ServiceException">The report is malformed (Internal) or cannot be merged (InvalidArgument).</exception>
    public abstract void AddReport(Report report);

    /// <summary>The merged report. Called once, after every Add.</summary>
    public abstract Report Build();

    protected static ServiceException Malformed(string what, Exception? inner = null) =>
        inner is null
            ? new ServiceException(ServiceStatus.Internal, $"a child invocation returned a malformed {what} report")
            : new ServiceException(ServiceStatus.Internal, $"a child invocation returned a malformed {what} report: {inner.Message}", inner);
}

/// <summary>TREE: merged call trees, with the call-site filter and truncation applied to the result.</summary>
internal sealed class TreeAggregator(InvocationScope scope, TreeQuery query) : QueryAggregator(scope, QueryType.Tree)
{
    private readonly Lock _gate = new();
    private StackTree _tree = new();

    public override void AddDataset(DatasetReader dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        var tree = dataset.BuildTree(Scope.Filter, Scope.StartMs, Scope.EndMs);
        Scope.Budget.AddTreeNodes(tree.NodeCount);
        if (query.CallSite.Count > 0)
        {
            tree = TreeReports.KeepCallSite(tree, query.CallSite);
        }

        Merge(tree);
    }

    public override void AddReport(Report report)
    {
        ArgumentNullException.ThrowIfNull(report);
        StackTree tree;
        try
        {
            tree = TreeReportCodec.ToStackTree(report.Tree);
        }
        catch (ArgumentException ex)
        {
            throw Malformed("tree", ex);
        }

        Merge(tree);
    }

    public override Report Build()
    {
        StackTree tree;
        lock (_gate)
        {
            tree = _tree;
        }

        // The call site was applied to each dataset's tree as it was added, and children's reports are filtered.
        tree = TreeReports.Truncate(tree, query.MaxNodes);
        return new Report { Type = QueryType.Tree, Tree = TreeReportCodec.ToReport(tree) };
    }

    private void Merge(StackTree tree)
    {
        if (tree.NodeCount == 0)
        {
            return;
        }

        lock (_gate)
        {
            if (_tree.NodeCount == 0)
            {
                _tree = tree;
            }
            else
            {
                _tree.Merge(tree);
            }
        }
    }
}
