using Dapr.Profiler.Mesh;
using Dapr.Profiler.Metastore.Client;
using Dapr.Profiler.Model;
using Dapr.Profiler.Protos.Metastore;
using Dapr.Profiler.Protos.QueryBackend;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Dapr.Profiler.QueryFrontend;

/// <summary>
/// Runs one query the Pyroscope v2 way: ask the metastore which blocks may hold data, shuffle them, plan READ and
/// MERGE nodes, and invoke the query-backend once with the whole plan. No blocks: no backend call.
/// </summary>
internal sealed class QueryExecutor
{
    private readonly IMetastoreClient _metastore;
    private readonly IServiceInvoker _invoker;
    private readonly QueryFrontendOptions _options;
    private readonly ILogger<QueryExecutor> _logger;

    public QueryExecutor(IMetastoreClient metastore, IServiceInvoker invoker, IOptions<QueryFrontendOptions> options, ILogger<QueryExecutor> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _metastore = metastore;
        _invoker = invoker;
        _options = options.Value;
        _logger = logger;
    }

    /// <summary>
    /// The report of <paramref name="query"/>, or null when no block may hold matching data.
    /// </summary>
    /// <param name="tenants">The tenants the caller may see; nothing else is read.</param>
    /// <param name="range">The query range the backend evaluates.</param>
    /// <param name="readFrom">Where the data the backend reads starts (before <c>range.Start</c> for time series, whose
    /// first bucket reaches back one step); blocks are looked up from here.</param>
    /// <param name="selector">The full selector; the metastore gets only its index matchers.</param>
    /// <param name="query">The one query to run.</param>
    /// <param name="cancellationToken">Cancels the metastore and backend calls.</param>
    /// <exception cref="ServiceException">The metastore or the backend failed, or the backend answered without the report;
    /// RESOURCE_EXHAUSTED when the query goes over its budget (<see cref="QueryBudgets"/>).</exception>
    public async Task<Report?> RunAsync(
        IReadOnlyList<string> tenants, QueryRange range, long readFrom, LabelSelector selector, Query query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tenants);
        ArgumentNullException.ThrowIfNull(selector);
        ArgumentNullException.ThrowIfNull(query);
        var tenantText = string.Join('|', tenants);
        var selectorText = selector.ToString();
        var lookup = new QueryMetadataRequest
        {
            StartTime = Math.Min(readFrom, range.Start),
            EndTime = range.End,
            Query = QuerySelectors.ForMetadata(selector).ToString(),
        };
        lookup.TenantId.AddRange(tenants);
        var metadata = await _metastore.QueryMetadataAsync(lookup, cancellationToken);
        if (metadata.Blocks.Count == 0)
        {
            Log.NoBlocks(_logger, tenantText, selectorText, range.Start, range.End);
            return null;
        }

        var blocks = metadata.Blocks.ToArray();
        var plan = QueryPlanner.ShuffleAndBuild(blocks, _options.MaxReadsPerLeaf, _options.MaxMergeFanIn, Random.Shared);
        if (_logger.IsEnabled(LogLevel.Debug))
        {
            var leaves = QueryPlanner.CountLeaves(plan);
            Log.Planned(_logger, tenantText, selectorText, range.Start, range.End, blocks.Length, leaves);
        }

        var request = new InvokeRequest
        {
            StartTime = range.Start,
            EndTime = range.End,
            LabelSelector = selectorText,
            Plan = plan,
            Budget = QueryBudgets.From(_options),
        };
        request.TenantId.AddRange(tenants);
        request.Query.Add(query);
        InvokeResponse response;
        try
        {
            response = await _invoker.InvokeAsync<InvokeRequest, InvokeResponse>(
                DaprNames.AppIds.QueryBackend, DaprNames.Methods.QueryBackendInvoke, request, cancellationToken);
        }
        catch (ServiceException ex) when (ex.Status == ServiceStatus.ResourceExhausted)
        {
            throw QueryBudgets.Translate(ex, _options);
        }

        if (response.Stats is { } stats)
        {
            Log.Executed(_logger, tenantText, stats.BlocksRead, stats.DatasetsRead, stats.BytesRead);
        }

        // The backend enforces the budget on every node; this also holds a backend that does not know it to it.
        QueryBudgets.Check(response.Stats, _options);

        var report = response.Reports.FirstOrDefault(r => r.Type == query.Type);
        return report ?? throw new ServiceException(
            ServiceStatus.Internal, $"the query-backend answered without a {query.Type} report ({response.Reports.Count} reports)");
    }
}
