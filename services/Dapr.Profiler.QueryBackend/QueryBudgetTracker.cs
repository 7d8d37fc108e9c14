using Dapr.Profiler.Mesh;
using Dapr.Profiler.Protos.QueryBackend;

namespace Dapr.Profiler.QueryBackend;

/// <summary>
/// What one invocation has consumed of the request's <see cref="QueryBudget"/>: series, bytes read and tree nodes of
/// its subtree of the plan (READ nodes count what they read, MERGE nodes add up their children's statistics). Going
/// over a limit throws RESOURCE_EXHAUSTED at once, so reading stops; zero limits are no limits. Thread-safe.
/// </summary>
internal sealed class QueryBudgetTracker(QueryBudget? budget)
{
    /// <summary>The message prefix that names the exceeded field, as the query-frontend recognises it.</summary>
    public const string ExceededPrefix = "query budget ";

    private readonly QueryBudget _budget = budget ?? new QueryBudget();
    private long _series;
    private long _bytes;
    private long _treeNodes;

    public long Series => Interlocked.Read(ref _series);

    public long BytesRead => Interlocked.Read(ref _bytes);

    public long TreeNodes => Interlocked.Read(ref _treeNodes);

    /// <exception cref="ServiceException">RESOURCE_EXHAUSTED: over <see cref="QueryBudget.MaxSeries"/>.</exception>
    public void AddSeries(long count) => Check(Interlocked.Add(ref _series, count), _budget.MaxSeries, "max_series", "series");

    /// <exception cref="ServiceException">RESOURCE_EXHAUSTED: over <see cref="QueryBudget.MaxBytesRead"/>.</exception>
    public void AddBytes(long count) => Check(Interlocked.Add(ref _bytes, count), _budget.MaxBytesRead, "max_bytes_read", "bytes read from object storage");

    /// <exception cref="ServiceException">RESOURCE_EXHAUSTED: over <see cref="QueryBudget.MaxTreeNodes"/>.</exception>
    public void AddTreeNodes(long count) => Check(Interlocked.Add(ref _treeNodes, count), _budget.MaxTreeNodes, "max_tree_nodes", "call-tree nodes");

    /// <summary>Adds a child invocation's statistics (MERGE nodes).</summary>
    public void Add(ExecutionStats stats)
    {
        ArgumentNullException.ThrowIfNull(stats);
        AddSeries(stats.SeriesRead);
        AddBytes(stats.BytesRead);
        AddTreeNodes(stats.TreeNodes);
    }

    private static void Check(long used, long limit, string field, string what)
    {
        if (limit > 0 && used > limit)
        {
            throw new ServiceException(
                ServiceStatus.ResourceExhausted, $"{ExceededPrefix}{field} exceeded: the query needs more than {limit} {what}");
        }
    }
}
