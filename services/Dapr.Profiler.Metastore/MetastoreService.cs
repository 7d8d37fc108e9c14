using System.Text.RegularExpressions;
using Dapr.Profiler.Model;
using Dapr.Profiler.Protos.Metastore;
using Google.Protobuf.Collections;

namespace Dapr.Profiler.Metastore;

/// <summary>
/// The metastore's service methods (the handlers behind <c>DaprNames.Methods.Metastore*</c>). Writes go to the
/// node's command log; every query is answered from the index alone, without reading objects.
/// </summary>
/// <remarks>
/// Errors are <see cref="Mesh.ServiceException"/>s: <see cref="MetastoreInvalidRequestException"/> (invalid
/// argument: bad metadata, selector or time range) and <see cref="MetastoreUnavailableException"/> (retry later).
/// </remarks>
public sealed partial class MetastoreService(MetastoreNode node)
{
    /// <summary>Indexes a block (idempotent); returns once it is durable and visible to queries.</summary>
    public async Task<AddBlockResponse> AddBlockAsync(AddBlockRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        await node.AddBlockAsync(request.Block, cancellationToken);
        return new AddBlockResponse();
    }

    /// <summary>
    /// The blocks with data of the tenants in [start_time, end_time] whose datasets may match the selector, in id
    /// order; each carries only those datasets (and a string table holding just their strings).
    /// </summary>
    public async Task<QueryMetadataResponse> QueryMetadataAsync(QueryMetadataRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var tenants = Tenants(request.TenantId);
        CheckRange(request.StartTime, request.EndTime);
        var filter = Filter(string.IsNullOrWhiteSpace(request.Query) ? [] : [request.Query]);
        var hits = await FindAsync(tenants, request.StartTime, request.EndTime, filter, cancellationToken);
        var response = new QueryMetadataResponse();
        foreach (var hit in hits)
        {
            response.Blocks.Add(BlockMetaProjection.Project(hit));
        }

        return response;
    }

    public async Task<ProfileTypesResponse> ProfileTypesAsync(MetadataQueryRequest request, CancellationToken cancellationToken)
    {
        var (hits, filter) = await FindAsync(request, cancellationToken);
        return Guard(() => MetadataQueries.ProfileTypes(hits, filter));
    }

    public async Task<LabelNamesResponse> LabelNamesAsync(MetadataQueryRequest request, CancellationToken cancellationToken)
    {
        var (hits, filter) = await FindAsync(request, cancellationToken);
        return Guard(() => MetadataQueries.LabelNames(hits, filter));
    }

    public async Task<LabelValuesResponse> LabelValuesAsync(LabelValuesRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (string.IsNullOrEmpty(request.Name))
        {
            throw new MetastoreInvalidRequestException("a label name is required");
        }

        var (hits, filter) = await FindAsync(request.Query, cancellationToken);
        return Guard(() => MetadataQueries.LabelValues(hits, filter, request.Name));
    }

    public async Task<SeriesLabelsResponse> SeriesLabelsAsync(SeriesLabelsRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (hits, filter) = await FindAsync(request.Query, cancellationToken);
        return Guard(() => MetadataQueries.SeriesLabels(hits, filter, request.LabelNames));
    }

    /// <summary>Whether the tenant has data, and the data time of its oldest and newest profile (Unix ms).</summary>
    public async Task<TenantStatsResponse> TenantStatsAsync(TenantStatsRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var summary = await node.ReadAsync(index => index.GetTenantSummary(request.TenantId), cancellationToken);
        return new TenantStatsResponse
        {
            DataIngested = summary.DataIngested,
            OldestProfileTime = summary.OldestMs,
            NewestProfileTime = summary.NewestMs,
        };
    }

    private async Task<(List<BlockHit> Hits, DatasetFilter Filter)> FindAsync(MetadataQueryRequest? request, CancellationToken cancellationToken)
    {
        if (request is null)
        {
            throw new MetastoreInvalidRequestException("the request has no query");
        }

        var tenants = Tenants(request.TenantId);
        CheckRange(request.StartTime, request.EndTime);
        var filter = Filter(request.Matchers);
        return (await FindAsync(tenants, request.StartTime, request.EndTime, filter, cancellationToken), filter);
    }

    private async Task<List<BlockHit>> FindAsync(
        IReadOnlyList<string> tenants, long start, long end, DatasetFilter filter, CancellationToken cancellationToken)
    {
        var state = await node.GetStateAsync(cancellationToken);
        return Guard(() => state.Read(index => index.FindDatasets(tenants, start, end, filter.Matches)));
    }

    private static RepeatedField<string> Tenants(RepeatedField<string> tenants)
    {
        if (tenants.Count == 0)
        {
            throw new MetastoreInvalidRequestException("at least one tenant id is required");
        }

        return tenants;
    }

    private static void CheckRange(long start, long end)
    {
        if (start > end)
        {
            throw new MetastoreInvalidRequestException($"start time {start} is after end time {end}");
        }
    }

    private static DatasetFilter Filter(IEnumerable<string> selectors)
    {
        var parsed = new List<LabelSelector>();
        foreach (var text in selectors)
        {
            if (string.IsNullOrWhiteSpace(text))
            {
                parsed.Add(LabelSelector.All);
                continue;
            }

            if (!LabelSelector.TryParse(text, out var selector, out var error))
            {
                throw new MetastoreInvalidRequestException($"invalid selector {text}: {error.Message}", error);
            }

            parsed.Add(selector);
        }

        return new DatasetFilter(parsed);
    }

    private static T Guard<T>(Func<T> query)
    {
        try
        {
            return query();
        }
        catch (RegexMatchTimeoutException ex)
        {
            throw new MetastoreInvalidRequestException("a regular expression of the selector took too long to match", ex);
        }
    }
}
