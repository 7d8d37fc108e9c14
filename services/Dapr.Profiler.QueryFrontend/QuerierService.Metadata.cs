using Dapr.Profiler.Model;
using Dapr.Profiler.Protos.Querier;
using Dapr.Profiler.Protos.QueryBackend;
using Dapr.Profiler.Protos.Types;
using MetastoreLabelValuesRequest = Dapr.Profiler.Protos.Metastore.LabelValuesRequest;
using MetastoreSeriesLabelsRequest = Dapr.Profiler.Protos.Metastore.SeriesLabelsRequest;
using ProfileTypesRequest = Dapr.Profiler.Protos.Querier.ProfileTypesRequest;
using ProfileTypesResponse = Dapr.Profiler.Protos.Querier.ProfileTypesResponse;
using TenantStatsRequest = Dapr.Profiler.Protos.Metastore.TenantStatsRequest;

namespace Dapr.Profiler.QueryFrontend;

/// <summary>Metadata questions: answered by the metastore alone unless it cannot answer exactly.</summary>
public sealed partial class QuerierService
{
    /// <summary>The profile types with data in the range (the last hour when the request gives none), sorted by id.</summary>
    public async Task<ProfileTypesResponse> ProfileTypesAsync(ProfileTypesRequest request, string tenant, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var response = new ProfileTypesResponse();
        if (MetadataRange(request.Start, request.End) is not { } range)
        {
            return response;
        }

        var answer = await _metastore.ProfileTypesAsync(MetadataQuery(tenant, range, []), cancellationToken);
        response.ProfileTypes.AddRange(answer.ProfileTypes.OrderBy(t => t.ID, StringComparer.Ordinal));
        return response;
    }

    /// <summary>
    /// The label names of the matching series, sorted, <c>__…__</c> names included. From the metastore when the
    /// matchers use only index names; else from the query-backend (the metastore would over-approximate).
    /// </summary>
    public async Task<LabelNamesResponse> LabelNamesAsync(LabelNamesRequest request, string tenant, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var response = new LabelNamesResponse();
        var selectors = Selectors().ParseAll(request.Matchers);
        if (Range(request.Start, request.End) is not { } range)
        {
            return response;
        }

        IEnumerable<string> names;
        if (QuerySelectors.IsIndexExact(selectors))
        {
            names = (await _metastore.LabelNamesAsync(MetadataQuery(tenant, range, selectors), cancellationToken)).Names;
        }
        else
        {
            Log.MetadataIncomplete(_logger, tenant, "label names");
            var report = await RunLabelQueryAsync(tenant, range, selectors, QueryType.LabelNames, new LabelQuery(), cancellationToken);
            names = report?.Names ?? [];
        }

        response.Names.AddRange(names.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal));
        return response;
    }

    /// <summary>
    /// The values of a label over the matching series, sorted. From the metastore unless a matcher uses a label the
    /// index does not know exactly or a dataset lists only part of the label's values; then from the query-backend.
    /// </summary>
    public async Task<LabelValuesResponse> LabelValuesAsync(LabelValuesRequest request, string tenant, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var response = new LabelValuesResponse();
        if (Range(request.Start, request.End) is not { } range)
        {
            return response;
        }

        if (string.IsNullOrEmpty(request.Name))
        {
            throw QuerySelectors.Invalid("name is required");
        }

        var selectors = Selectors().ParseAll(request.Matchers);
        IEnumerable<string>? values = null;
        if (QuerySelectors.IsIndexExact(selectors))
        {
            var ask = new MetastoreLabelValuesRequest { Query = MetadataQuery(tenant, range, selectors), Name = request.Name };
            var answer = await _metastore.LabelValuesAsync(ask, cancellationToken);
            if (!answer.Truncated)
            {
                values = answer.Names;
            }
        }

        if (values is null)
        {
            Log.MetadataIncomplete(_logger, tenant, "label values of " + request.Name);
            var report = await RunLabelQueryAsync(
                tenant, range, selectors, QueryType.LabelValues, new LabelQuery { Name = request.Name }, cancellationToken);
            values = report?.Names ?? [];
        }

        response.Names.AddRange(values.Where(v => v.Length > 0).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal));
        return response;
    }

    /// <summary>
    /// The label sets of the matching series, projected on <c>labelNames</c> (empty: all labels). From the metastore
    /// when the projection and the matchers use only index names (Drilldown's service/profile-type listing); else
    /// from the query-backend.
    /// </summary>
    public async Task<SeriesResponse> SeriesAsync(SeriesRequest request, string tenant, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var response = new SeriesResponse();
        var selectors = Selectors().ParseAll(request.Matchers);
        if (Range(request.Start, request.End) is not { } range)
        {
            return response;
        }

        if (request.LabelNames.Count > 0 && request.LabelNames.All(QuerySelectors.IsIndexName) && QuerySelectors.IsIndexExact(selectors))
        {
            var ask = new MetastoreSeriesLabelsRequest { Query = MetadataQuery(tenant, range, selectors) };
            ask.LabelNames.AddRange(request.LabelNames);
            response.LabelsSet.AddRange((await _metastore.SeriesLabelsAsync(ask, cancellationToken)).LabelsSet);
            return response;
        }

        Log.MetadataIncomplete(_logger, tenant, "series labels");
        var query = new LabelQuery();
        query.LabelNames.AddRange(request.LabelNames);
        var report = await RunLabelQueryAsync(tenant, range, selectors, QueryType.SeriesLabels, query, cancellationToken);
        var sets = report?.LabelsSet.ToList() ?? [];
        sets.Sort((a, b) => ReportConversions.CompareLabels(a.Labels_, b.Labels_));
        response.LabelsSet.AddRange(sets);
        return response;
    }

    /// <summary>Whether the tenant has data and the time of its oldest and newest profile (ms), from the metastore.</summary>
    public async Task<GetProfileStatsResponse> GetProfileStatsAsync(GetProfileStatsRequest request, string tenant, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var stats = await _metastore.TenantStatsAsync(new TenantStatsRequest { TenantId = tenant }, cancellationToken);
        return new GetProfileStatsResponse
        {
            DataIngested = stats.DataIngested,
            OldestProfileTime = stats.OldestProfileTime,
            NewestProfileTime = stats.NewestProfileTime,
        };
    }

    private async Task<LabelReport?> RunLabelQueryAsync(
        string tenant, QueryRange range, List<LabelSelector> selectors, QueryType type, LabelQuery labels, CancellationToken cancellationToken)
    {
        var query = new Query { Type = type, Labels = labels };
        var report = await _executor.RunAsync([tenant], range, range.Start, QuerySelectors.Combine(selectors), query, cancellationToken);
        return report?.Labels;
    }
}
