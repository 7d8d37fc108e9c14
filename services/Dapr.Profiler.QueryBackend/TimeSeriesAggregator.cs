using System.Runtime.InteropServices;
using Dapr.Profiler.Block;
using Dapr.Profiler.Model;
using Dapr.Profiler.Protos.QueryBackend;
using WireLabelPair = Dapr.Profiler.Protos.Types.LabelPair;

namespace Dapr.Profiler.QueryBackend;

/// <summary>
/// TIME_SERIES: the sum and the number of profiles per series and bucket. Buckets are named by their right edge:
/// edges are <c>start, start + step, …</c> up to <c>end</c>, and a profile at <c>ts</c> (ms) counts in the first edge
/// ≥ <c>ts</c>, so the first bucket holds <c>(start − step, start]</c> and profiles after the last edge are left
/// out. Series are the selected series' labels projected on <c>group_by</c> (absent labels are left out, so a series
/// without the label groups with the ones whose value is ""). Only buckets with data are reported; sums and counts
/// add up exactly across stages, and averages are taken by the caller.
/// </summary>
internal sealed class TimeSeriesAggregator : QueryAggregator
{
    private readonly Lock _gate = new();
    private readonly Dictionary<LabelSet, Dictionary<long, Bucket>> _series = [];
    private readonly HashSet<string> _groupBy;
    private readonly long _stepMs;
    private readonly long _firstMs;

    public TimeSeriesAggregator(InvocationScope scope, TimeSeriesQuery query)
        : base(scope, QueryType.TimeSeries)
    {
        ArgumentNullException.ThrowIfNull(query);
        _groupBy = new HashSet<string>(query.GroupBy, StringComparer.Ordinal);
        _stepMs = InvocationScope.StepMillis(query);
        _firstMs = scope.StartMs > long.MinValue + _stepMs ? scope.StartMs - _stepMs + 1 : long.MinValue;
    }

    public override (long From, long To) ReadRange => (_firstMs, Scope.EndMs);

    public override void AddDataset(DatasetReader dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        var projected = new LabelSet?[dataset.Series.Count];
        var local = new Dictionary<LabelSet, Dictionary<long, Bucket>>();
        foreach (var point in dataset.SeriesTotals(Scope.Filter, _firstMs, Scope.EndMs))
        {
            if (!TryGetBucket(InvocationScope.NanosToMillis(point.TimestampNanos), out var edge))
            {
                continue;
            }

            var labels = projected[point.SeriesIndex] ??= Project(dataset.Series[point.SeriesIndex].Labels);
            ref var bucket = ref CollectionsMarshal.GetValueRefOrAddDefault(BucketsOf(local, labels), edge, out _);
            bucket = new Bucket(bucket.Sum + point.Total, bucket.Count + 1);
        }

        lock (_gate)
        {
            foreach (var (labels, buckets) in local)
            {
                var target = BucketsOf(_series, labels);
                foreach (var (edge, bucket) in buckets)
                {
                    Add(target, edge, bucket);
                }
            }
        }
    }

    public override void AddReport(Report report)
    {
        ArgumentNullException.ThrowIfNull(report);
        if (report.TimeSeries is null)
        {
            return;
        }

        var parsed = new List<(LabelSet Labels, SeriesPoints Points)>(report.TimeSeries.Series.Count);
        foreach (var series in report.TimeSeries.Series)
        {
            var count = series.Timestamp.Count;
            if (series.Sum.Count != count || series.Count.Count != count)
            {
                throw Malformed("time series");
            }

            try
            {
                parsed.Add((LabelSet.Create(series.Labels.Select(l => new Model.LabelPair(l.Name, l.Value))), series));
            }
            catch (ArgumentException ex)
            {
                throw Malformed("time series", ex);
            }
        }

        lock (_gate)
        {
            foreach (var (labels, points) in parsed)
            {
                var target = BucketsOf(_series, labels);
                for (var i = 0; i < points.Timestamp.Count; i++)
                {
                    Add(target, points.Timestamp[i], new Bucket(points.Sum[i], points.Count[i]));
                }
            }
        }
    }

    public override Report Build()
    {
        var result = new TimeSeriesReport();
        lock (_gate)
        {
            foreach (var labels in _series.Keys.Order(LabelSetOrder.Instance))
            {
                var points = new SeriesPoints();
                points.Labels.AddRange(labels.Select(l => new WireLabelPair { Name = l.Name, Value = l.Value }));
                foreach (var (edge, bucket) in _series[labels].OrderBy(b => b.Key))
                {
                    points.Timestamp.Add(edge);
                    points.Sum.Add(bucket.Sum);
                    points.Count.Add(bucket.Count);
                }

                result.Series.Add(points);
            }
        }

        return new Report { Type = QueryType.TimeSeries, TimeSeries = result };
    }

    /// <summary>The right edge of the bucket of a profile at <paramref name="ms"/>; false when it has none.</summary>
    internal bool TryGetBucket(long ms, out long edge)
    {
        var start = Scope.StartMs;
        edge = 0;
        if (ms < _firstMs || ms > Scope.EndMs)
        {
            return false;
        }

        if (ms <= start)
        {
            edge = start;
            return true;
        }

        // ms > start, so the distance is positive; ms ≤ end bounds it, and edges stay ≤ end or are dropped.
        var distance = (ulong)(ms - start);
        var steps = ((distance - 1) / (ulong)_stepMs) + 1;
        var offset = steps * (ulong)_stepMs;
        if (offset > (ulong)(Scope.EndMs - start))
        {
            return false;
        }

        edge = start + (long)offset;
        return true;
    }

    private static Dictionary<long, Bucket> BucketsOf(Dictionary<LabelSet, Dictionary<long, Bucket>> series, LabelSet labels)
    {
        ref var buckets = ref CollectionsMarshal.GetValueRefOrAddDefault(series, labels, out _);
        return buckets ??= [];
    }

    private static void Add(Dictionary<long, Bucket> buckets, long edge, Bucket value)
    {
        ref var bucket = ref CollectionsMarshal.GetValueRefOrAddDefault(buckets, edge, out _);
        bucket = new Bucket(bucket.Sum + value.Sum, bucket.Count + value.Count);
    }

    private LabelSet Project(LabelSet labels) =>
        _groupBy.Count == 0 ? LabelSet.Empty : labels.Keep(_groupBy);

    private readonly record struct Bucket(double Sum, long Count);
}

/// <summary>Orders label sets pair by pair (name, then value, ordinal); a prefix sorts first.</summary>
internal sealed class LabelSetOrder : IComparer<LabelSet>
{
    public static LabelSetOrder Instance { get; } = new();

    public int Compare(LabelSet? x, LabelSet? y)
    {
        if (x is null || y is null)
        {
            return x is null ? (y is null ? 0 : -1) : 1;
        }

        for (var i = 0; i < Math.Min(x.Count, y.Count); i++)
        {
            var byPair = x[i].CompareTo(y[i]);
            if (byPair != 0)
            {
                return byPair;
            }
        }

        return x.Count.CompareTo(y.Count);
    }
}
