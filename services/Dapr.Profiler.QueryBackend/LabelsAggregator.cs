using Dapr.Profiler.Block;
using Dapr.Profiler.Model;
using Dapr.Profiler.Protos.QueryBackend;
using WireLabelPair = Dapr.Profiler.Protos.Types.LabelPair;
using WireLabels = Dapr.Profiler.Protos.Types.Labels;

namespace Dapr.Profiler.QueryBackend;

/// <summary>
/// LABEL_NAMES, LABEL_VALUES and SERIES_LABELS from the series index: the selected series that have at least one
/// profile in the time range. Names and values are distinct and sorted (ordinal); label sets are distinct, projected
/// on <c>label_names</c> (empty = every label) and sorted pair by pair. Empty values and empty projections are left out.
/// </summary>
internal sealed class LabelsAggregator(InvocationScope scope, QueryType type, LabelQuery query) : QueryAggregator(scope, type)
{
    private readonly Lock _gate = new();
    private readonly SortedSet<string> _names = new(StringComparer.Ordinal);
    private readonly HashSet<LabelSet> _sets = [];
    private readonly HashSet<string> _projection = new(query.LabelNames, StringComparer.Ordinal);

    public override void AddDataset(DatasetReader dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        var seen = new bool[dataset.Series.Count];
        var names = new HashSet<string>(StringComparer.Ordinal);
        var sets = new HashSet<LabelSet>();
        foreach (var row in dataset.Rows(Scope.Filter, Scope.StartMs, Scope.EndMs))
        {
            if (seen[row.SeriesIndex])
            {
                continue;
            }

            seen[row.SeriesIndex] = true;
            var labels = dataset.Series[row.SeriesIndex].Labels;
            switch (Type)
            {
                case QueryType.LabelNames:
                    foreach (var label in labels)
                    {
                        names.Add(label.Name);
                    }

                    break;
                case QueryType.LabelValues:
                    if (labels.Get(query.Name) is { Length: > 0 } value)
                    {
                        names.Add(value);
                    }

                    break;
                default:
                    var projected = _projection.Count == 0 ? labels : labels.Keep(_projection);
                    if (projected.Count > 0)
                    {
                        sets.Add(projected);
                    }

                    break;
            }
        }

        lock (_gate)
        {
            _names.UnionWith(names);
            _sets.UnionWith(sets);
        }
    }

    public override void AddReport(Report report)
    {
        ArgumentNullException.ThrowIfNull(report);
        if (report.Labels is null)
        {
            return;
        }

        var sets = new List<LabelSet>(report.Labels.LabelsSet.Count);
        try
        {
            foreach (var labels in report.Labels.LabelsSet)
            {
                sets.Add(LabelSet.Create(labels.Labels_.Select(l => new Model.LabelPair(l.Name, l.Value))));
            }
        }
        catch (ArgumentException ex)
        {
            throw Malformed("labels", ex);
        }

        lock (_gate)
        {
            _names.UnionWith(report.Labels.Names);
            _sets.UnionWith(sets);
        }
    }

    public override Report Build()
    {
        var result = new LabelReport();
        lock (_gate)
        {
            result.Names.AddRange(_names);
            foreach (var set in _sets.Order(LabelSetOrder.Instance))
            {
                var labels = new WireLabels();
                labels.Labels_.AddRange(set.Select(l => new WireLabelPair { Name = l.Name, Value = l.Value }));
                result.LabelsSet.Add(labels);
            }
        }

        return new Report { Type = Type, Labels = result };
    }
}
