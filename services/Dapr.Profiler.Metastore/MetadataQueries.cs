using Dapr.Profiler.Model;
using Dapr.Profiler.Protos.Metastore;
using LabelNamesConst = Dapr.Profiler.Model.LabelNames;
using Labels = Dapr.Profiler.Protos.Types.Labels;
using ProfileType = Dapr.Profiler.Protos.Types.ProfileType;
using ProtoLabelPair = Dapr.Profiler.Protos.Types.LabelPair;

namespace Dapr.Profiler.Metastore;

/// <summary>
/// Metadata-only answers built from the datasets a query selected (<see cref="BlockIndex.FindDatasets"/>). Every
/// output is sorted (ordinal) so equal questions get byte-equal answers.
/// </summary>
internal static class MetadataQueries
{
    /// <summary>The distinct profile types of the matching label sets.</summary>
    public static ProfileTypesResponse ProfileTypes(List<BlockHit> hits, DatasetFilter filter)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (_, series) in MatchingSeries(hits, filter))
        {
            if (series.Get(LabelNamesConst.ProfileType) is { } id)
            {
                ids.Add(id);
            }
        }

        var response = new ProfileTypesResponse();
        foreach (var id in ids.Order(StringComparer.Ordinal))
        {
            var type = new ProfileType { ID = id };
            if (ProfileTypeId.TryParse(id, out var parsed, out _))
            {
                type.Name = parsed.Name;
                type.SampleType = parsed.SampleType;
                type.SampleUnit = parsed.SampleUnit;
                type.PeriodType = parsed.PeriodType;
                type.PeriodUnit = parsed.PeriodUnit;
            }

            response.ProfileTypes.Add(type);
        }

        return response;
    }

    /// <summary>
    /// The label names of the matching datasets: <c>service_name</c>, <c>__profile_type__</c> and the names derived
    /// from the profile type, plus every name in the datasets' label values.
    /// </summary>
    public static LabelNamesResponse LabelNames(List<BlockHit> hits, DatasetFilter filter)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        DatasetInfo? last = null;
        foreach (var (dataset, series) in MatchingSeries(hits, filter))
        {
            foreach (var label in series)
            {
                names.Add(label.Name);
            }

            if (!ReferenceEquals(dataset, last))
            {
                foreach (var entry in dataset.LabelValues)
                {
                    names.Add(entry.Name);
                }

                last = dataset;
            }
        }

        var response = new LabelNamesResponse();
        response.Names.AddRange(names.Order(StringComparer.Ordinal));
        return response;
    }

    /// <summary>
    /// The values of one label in the matching datasets. Names derived from the profile type are answered from the
    /// matching label sets (exactly); other names from the datasets' label values, with
    /// <see cref="LabelValuesResponse.Truncated"/> set when a dataset listed only part of them.
    /// </summary>
    public static LabelValuesResponse LabelValues(List<BlockHit> hits, DatasetFilter filter, string name)
    {
        var values = new HashSet<string>(StringComparer.Ordinal);
        var response = new LabelValuesResponse();
        DatasetInfo? last = null;
        foreach (var (dataset, series) in MatchingSeries(hits, filter))
        {
            if (IndexedBlock.IsDerivedName(name))
            {
                if (series.Get(name) is { Length: > 0 } value)
                {
                    values.Add(value);
                }
            }
            else if (!ReferenceEquals(dataset, last) && dataset.TryGetLabelValues(name, out var listed))
            {
                values.UnionWith(listed.Values);
                response.Truncated |= listed.Truncated;
            }

            last = dataset;
        }

        response.Names.AddRange(values.Order(StringComparer.Ordinal));
        return response;
    }

    /// <summary>
    /// The distinct matching label sets projected on <paramref name="names"/> (all of their labels when empty). Only
    /// names the index knows per label set can be projected — <c>service_name</c>, <c>__profile_type__</c> and the
    /// names derived from it; other names are left out (the series index of the blocks has them).
    /// </summary>
    public static SeriesLabelsResponse SeriesLabels(List<BlockHit> hits, DatasetFilter filter, IReadOnlyCollection<string> names)
    {
        var keep = names.Count == 0 ? null : new HashSet<string>(names, StringComparer.Ordinal);
        var distinct = new HashSet<LabelSet>();
        foreach (var (_, series) in MatchingSeries(hits, filter))
        {
            var projected = keep is null ? series : series.Keep(keep);
            if (projected.Count > 0)
            {
                distinct.Add(projected);
            }
        }

        var sorted = distinct.ToList();
        sorted.Sort(LabelSet.Compare);
        var response = new SeriesLabelsResponse();
        foreach (var set in sorted)
        {
            var labels = new Labels();
            foreach (var label in set)
            {
                labels.Labels_.Add(new ProtoLabelPair { Name = label.Name, Value = label.Value });
            }

            response.LabelsSet.Add(labels);
        }

        return response;
    }

    /// <summary>The label sets (one per profile type) of the selected datasets that match the filter.</summary>
    private static IEnumerable<(DatasetInfo Dataset, LabelSet Series)> MatchingSeries(List<BlockHit> hits, DatasetFilter filter)
    {
        foreach (var hit in hits)
        {
            foreach (var dataset in hit.Datasets)
            {
                foreach (var series in dataset.Series)
                {
                    if (filter.SeriesMatches(dataset, series))
                    {
                        yield return (dataset, series);
                    }
                }
            }
        }
    }
}
