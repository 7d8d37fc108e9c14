using Dapr.Profiler.Metastore.Client;
using Dapr.Profiler.Model;
using Dapr.Profiler.Protos.Metastore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Dapr.Profiler.QueryFrontend;

/// <summary>
/// The semantics of <c>querier.v1.QuerierService</c>, independent of the wire: each method takes the request
/// message and the caller's tenant and returns the response message. The Connect and render APIs are thin
/// layers over it.
/// </summary>
/// <remarks>
/// Errors are <see cref="Mesh.ServiceException"/>s: <c>invalid_argument</c> for bad requests (the message names the
/// field and, for selectors, the parse position), <c>unimplemented</c> for features this server lacks, and the
/// metastore's or backend's own status when they fail. A tenant only ever sees its own data: the tenant is the
/// only one passed to the metastore and to the query-backend.
/// </remarks>
public sealed partial class QuerierService
{
    /// <summary>The range metadata questions cover when a request gives none (Pyroscope: the last hour).</summary>
    internal static readonly TimeSpan DefaultMetadataRange = TimeSpan.FromHours(1);

    private readonly IMetastoreClient _metastore;
    private readonly QueryExecutor _executor;
    private readonly TimeProvider _time;
    private readonly QueryFrontendOptions _options;
    private readonly ILogger<QuerierService> _logger;

    internal QuerierService(
        IMetastoreClient metastore, QueryExecutor executor, TimeProvider time, IOptions<QueryFrontendOptions> options, ILogger<QuerierService> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _metastore = metastore;
        _executor = executor;
        _time = time;
        _options = options.Value;
        _logger = logger;
    }

    internal QueryFrontendOptions Options => _options;

    internal DateTimeOffset Now => _time.GetUtcNow();

    /// <summary>The selector parser of one request, within the request's selector limits.</summary>
    private SelectorLimits Selectors() => new(_options);

    /// <summary>The validated range, or null when nothing in it can be read (an empty answer).</summary>
    private QueryRange? Range(long start, long end) => QueryRange.Validate(start, end, _options, _time.GetUtcNow());

    /// <summary>The range of a metadata question; both ends 0 means the last hour, as Pyroscope's ProfileTypes.</summary>
    private QueryRange? MetadataRange(long start, long end)
    {
        if (start == 0 && end == 0)
        {
            var now = _time.GetUtcNow();
            end = now.ToUnixTimeMilliseconds();
            start = (now - DefaultMetadataRange).ToUnixTimeMilliseconds();
        }

        return Range(start, end);
    }

    private static MetadataQueryRequest MetadataQuery(string tenant, QueryRange range, IEnumerable<LabelSelector> selectors)
    {
        var query = new MetadataQueryRequest { StartTime = range.Start, EndTime = range.End };
        query.TenantId.Add(tenant);
        query.Matchers.AddRange(selectors.Where(s => s.Matchers.Count > 0).Select(s => s.ToString()));
        return query;
    }
}
