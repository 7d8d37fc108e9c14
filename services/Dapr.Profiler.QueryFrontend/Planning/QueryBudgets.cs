using Dapr.Profiler.Mesh;
using Dapr.Profiler.Protos.QueryBackend;

namespace Dapr.Profiler.QueryFrontend;

/// <summary>
/// The per-query budget the query-frontend gives the query-backend (<see cref="QueryBudget"/>, from
/// <see cref="QueryFrontendOptions.MaxQuerySeries"/>, <see cref="QueryFrontendOptions.MaxQueryBytesRead"/> and
/// <see cref="QueryFrontendOptions.MaxQueryTreeNodes"/>), the check of the plan's summed statistics against it, and
/// the wording of its errors: RESOURCE_EXHAUSTED naming the setting.
/// </summary>
internal static class QueryBudgets
{
    // The backend names the exceeded QueryBudget field: "query budget <field> exceeded: <detail>" (querybackend.proto).
    private const string BackendPrefix = "query budget ";

    public static QueryBudget From(QueryFrontendOptions options) => new()
    {
        MaxSeries = options.MaxQuerySeries,
        MaxBytesRead = options.MaxQueryBytesRead,
        MaxTreeNodes = options.MaxQueryTreeNodes,
    };

    /// <summary>Checks the statistics of the whole plan (the sum over its leaves) against the budget.</summary>
    /// <exception cref="ServiceException">RESOURCE_EXHAUSTED naming the first limit the query went over.</exception>
    public static void Check(ExecutionStats? stats, QueryFrontendOptions options)
    {
        if (stats is null)
        {
            return;
        }

        Check(stats.SeriesRead, options.MaxQuerySeries, nameof(QueryFrontendOptions.MaxQuerySeries), "series");
        Check(stats.BytesRead, options.MaxQueryBytesRead, nameof(QueryFrontendOptions.MaxQueryBytesRead), "bytes read from object storage");
        Check(stats.TreeNodes, options.MaxQueryTreeNodes, nameof(QueryFrontendOptions.MaxQueryTreeNodes), "call-tree nodes");
    }

    /// <summary>A backend's budget error reworded to name this frontend's setting; other errors are returned as they are.</summary>
    public static ServiceException Translate(ServiceException ex, QueryFrontendOptions options)
    {
        ArgumentNullException.ThrowIfNull(ex);
        if (ex.Status != ServiceStatus.ResourceExhausted || !ex.Message.StartsWith(BackendPrefix, StringComparison.Ordinal))
        {
            return ex;
        }

        var field = ex.Message[BackendPrefix.Length..].Split(' ', 2)[0];
        var (property, limit) = field switch
        {
            "max_series" => (nameof(QueryFrontendOptions.MaxQuerySeries), options.MaxQuerySeries),
            "max_bytes_read" => (nameof(QueryFrontendOptions.MaxQueryBytesRead), options.MaxQueryBytesRead),
            "max_tree_nodes" => (nameof(QueryFrontendOptions.MaxQueryTreeNodes), options.MaxQueryTreeNodes),
            _ => (null, 0L),
        };
        if (property is null)
        {
            return ex;
        }

        var detail = ex.Message.IndexOf(": ", StringComparison.Ordinal) is var colon and >= 0 ? ex.Message[(colon + 2)..] : ex.Message;
        return Exceeded(property, limit, detail, ex);
    }

    private static void Check(long used, long limit, string property, string what)
    {
        if (limit > 0 && used > limit)
        {
            throw Exceeded(property, limit, $"the query needs more than {limit} {what}", null);
        }
    }

    private static ServiceException Exceeded(string property, long limit, string detail, Exception? inner)
    {
        var message = $"{detail}; the limit is {QueryFrontendOptions.Key(property)} = {limit}: narrow the selector or the time range";
        return inner is null ? new ServiceException(ServiceStatus.ResourceExhausted, message) : new ServiceException(ServiceStatus.ResourceExhausted, message, inner);
    }
}
