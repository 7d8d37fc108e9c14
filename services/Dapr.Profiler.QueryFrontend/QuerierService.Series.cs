using Dapr.Profiler.Protos.Querier;
using Dapr.Profiler.Protos.QueryBackend;
using Dapr.Profiler.Protos.Types;

namespace Dapr.Profiler.QueryFrontend;

/// <summary>Time series of profile totals.</summary>
public sealed partial class QuerierService
{
    /// <summary>
    /// Totals of the matching profiles per <c>step</c>-second bucket. Points sit on the buckets' right edges
    /// <c>start, start + step, …, ≤ end</c> (a profile at ts counts in the first edge ≥ ts, so data from
    /// <c>start − step</c> on is read); buckets without profiles are left out. Values are summed, or averaged per
    /// profile with <c>TIME_SERIES_AGGREGATION_TYPE_AVERAGE</c>. Series carry only the <c>groupBy</c> labels (one
    /// series with no labels without groupBy), ordered by total (largest first) and cut to <c>limit</c> when positive.
    /// Exemplars are never attached (any exemplar type is accepted).
    /// </summary>
    public async Task<SelectSeriesResponse> SelectSeriesAsync(SelectSeriesRequest request, string tenant, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var response = new SelectSeriesResponse();
        var range = Range(request.Start, request.End);
        if (range is null)
        {
            return response;
        }

        var type = QuerySelectors.ParseProfileType(request.ProfileTypeID);
        if (!(request.Step >= 0.001))
        {
            throw QuerySelectors.Invalid($"step must be >= 1ms (0.001 s), got {request.Step} s");
        }

        var selector = QuerySelectors.WithProfileType(Selectors().Parse(request.LabelSelector), type);
        var aggregation = request.HasAggregation ? request.Aggregation : TimeSeriesAggregationType.Sum;
        var timeSeries = new TimeSeriesQuery { Step = request.Step, Aggregation = aggregation };
        timeSeries.GroupBy.AddRange(request.GroupBy);
        var stepMs = (long)Math.Min(request.Step * 1000, long.MaxValue / 4);
        var readFrom = range.Value.Start - Math.Min(stepMs, range.Value.Start);
        var report = await _executor.RunAsync(
            [tenant], range.Value, readFrom, selector, new Query { Type = QueryType.TimeSeries, TimeSeries = timeSeries }, cancellationToken);
        response.Series.AddRange(ReportConversions.ToSeries(report?.TimeSeries, request.GroupBy, aggregation, request.Limit));
        return response;
    }
}
