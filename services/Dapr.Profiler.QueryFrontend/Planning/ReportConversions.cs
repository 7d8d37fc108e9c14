using Dapr.Profiler.Mesh;
using Dapr.Profiler.Model;
using Dapr.Profiler.Protos.QueryBackend;
using Dapr.Profiler.Protos.Types;
using ModelLabelPair = Dapr.Profiler.Model.LabelPair;
using WireLabelPair = Dapr.Profiler.Protos.Types.LabelPair;

namespace Dapr.Profiler.QueryFrontend;

/// <summary>Turns query-backend reports into the model and the public API's messages.</summary>
internal static class ReportConversions
{
    /// <summary>The call tree of the backend's final report; a missing report is the empty tree.</summary>
    /// <exception cref="ServiceException">internal: the report is malformed.</exception>
    public static StackTree ToStackTree(TreeReport? report)
    {
        try
        {
            return TreeReportCodec.ToStackTree(report);
        }
        catch (ArgumentException ex)
        {
            throw Malformed(ex.Message);
        }
    }

    /// <summary>
    /// The series of a <see cref="TimeSeriesReport"/>: labels projected on <paramref name="groupBy"/> (series that
    /// become equal are merged), buckets without profiles left out, values summed or averaged per bucket
    /// (average = sum / count), ordered as Pyroscope's <c>TopSeries</c> (largest total first, then by labels) and
    /// cut to <paramref name="limit"/> series when it is positive.
    /// </summary>
    /// <exception cref="ServiceException">internal: the report is malformed.</exception>
    public static List<Series> ToSeries(TimeSeriesReport? report, IReadOnlyCollection<string> groupBy, TimeSeriesAggregationType aggregation, long limit)
    {
        var keep = new HashSet<string>(groupBy, StringComparer.Ordinal);
        var merged = new Dictionary<LabelSet, SortedDictionary<long, (double Sum, long Count)>>();
        foreach (var series in report?.Series ?? [])
        {
            var n = series.Timestamp.Count;
            if (series.Sum.Count != n || series.Count.Count != n)
            {
                throw Malformed($"a series has {n} timestamps, {series.Sum.Count} sums and {series.Count.Count} counts");
            }

            LabelSet labels;
            try
            {
                labels = LabelSet.Create(series.Labels.Where(l => keep.Contains(l.Name)).Select(l => new ModelLabelPair(l.Name, l.Value)));
            }
            catch (ArgumentException ex)
            {
                throw new ServiceException(ServiceStatus.Internal, $"the query-backend returned a malformed time series report: {ex.Message}", ex);
            }

            if (!merged.TryGetValue(labels, out var buckets))
            {
                buckets = [];
                merged.Add(labels, buckets);
            }

            for (var i = 0; i < n; i++)
            {
                buckets.TryGetValue(series.Timestamp[i], out var bucket);
                buckets[series.Timestamp[i]] = (bucket.Sum + series.Sum[i], bucket.Count + series.Count[i]);
            }
        }

        var result = new List<(Series Series, double Total)>(merged.Count);
        foreach (var (labels, buckets) in merged)
        {
            var series = new Series();
            series.Labels.AddRange(labels.Select(l => new WireLabelPair { Name = l.Name, Value = l.Value }));
            double total = 0;
            foreach (var (timestamp, bucket) in buckets)
            {
                if (bucket.Count <= 0)
                {
                    continue;
                }

                var value = aggregation == TimeSeriesAggregationType.Average ? bucket.Sum / bucket.Count : bucket.Sum;
                series.Points.Add(new Point { Timestamp = timestamp, Value = value });
                total += value;
            }

            if (series.Points.Count > 0)
            {
                result.Add((series, total));
            }
        }

        result.Sort((a, b) => b.Total.CompareTo(a.Total) is var c && c != 0 ? c : CompareLabels(a.Series.Labels, b.Series.Labels));
        var top = result.Select(r => r.Series);
        return (limit > 0 ? top.Take((int)Math.Min(limit, int.MaxValue)) : top).ToList();
    }

    /// <summary>Pyroscope's <c>CompareLabelPairs</c>: pairwise by name then value (ordinal); a prefix comes first.</summary>
    public static int CompareLabels(IReadOnlyList<WireLabelPair> a, IReadOnlyList<WireLabelPair> b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        for (var i = 0; i < Math.Min(a.Count, b.Count); i++)
        {
            var c = string.CompareOrdinal(a[i].Name, b[i].Name);
            if (c == 0)
            {
                c = string.CompareOrdinal(a[i].Value, b[i].Value);
            }

            if (c != 0)
            {
                return c;
            }
        }

        return a.Count.CompareTo(b.Count);
    }

    private static ServiceException Malformed(string detail) =>
        new(ServiceStatus.Internal, $"the query-backend returned a malformed report: {detail}");
}
