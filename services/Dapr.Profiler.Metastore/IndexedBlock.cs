using Dapr.Profiler.Block;
using Dapr.Profiler.Model;
using Dapr.Profiler.Protos.Block;

namespace Dapr.Profiler.Metastore;

/// <summary>
/// One dataset of an indexed block, with its string references resolved once at indexing time so queries never
/// touch the block's string table.
/// </summary>
internal sealed class DatasetInfo
{
    public required IndexedBlock Block { get; init; }

    /// <summary>The dataset's position in <see cref="BlockMeta.Datasets"/>.</summary>
    public required int Index { get; init; }

    public required string Tenant { get; init; }

    public required string Service { get; init; }

    public required long MinTime { get; init; }

    public required long MaxTime { get; init; }

    /// <summary>
    /// One label set per profile type: <c>service_name</c> and <c>__profile_type__</c> plus the names every series
    /// derives from them (<c>__service_name__</c>, <c>__name__</c>, <c>__type__</c>, <c>__unit__</c>,
    /// <c>__period_type__</c>, <c>__period_unit__</c>). Matchers on these names are answered exactly.
    /// Instances are shared between datasets (see <see cref="IndexStrings"/>).
    /// </summary>
    public required LabelSet[] Series { get; init; }

    /// <summary>The other label names of the dataset's series with their values (possibly truncated), by name.</summary>
    public required MetaLabelValues[] LabelValues { get; init; }

    public bool Overlaps(long start, long end) => MinTime <= end && MaxTime >= start;

    public bool TryGetLabelValues(string name, out MetaLabelValues values)
    {
        foreach (var entry in LabelValues)
        {
            if (string.Equals(entry.Name, name, StringComparison.Ordinal))
            {
                values = entry;
                return true;
            }
        }

        values = default;
        return false;
    }
}

/// <summary>A block in the index: its metadata (never mutated once indexed) and its resolved datasets.</summary>
internal sealed class IndexedBlock
{
    private IndexedBlock(BlockMeta meta)
    {
        Meta = meta;
        Id = meta.Id;
    }

    public string Id { get; }

    public BlockMeta Meta { get; }

    public DatasetInfo[] Datasets { get; private set; } = [];

    /// <summary>Names whose value follows from a dataset's profile type and service; see <see cref="DatasetInfo.Series"/>.</summary>
    public static bool IsDerivedName(string name) => name is LabelNames.ServiceName or LabelNames.ProfileType
        or LabelNames.ServiceNameCopy or LabelNames.MetricName or LabelNames.Type or LabelNames.Unit
        or LabelNames.PeriodType or LabelNames.PeriodUnit;

    /// <summary>Resolves a validated block; strings and label sets are shared through <paramref name="shared"/>.</summary>
    public static IndexedBlock Create(BlockMeta meta, IndexStrings shared)
    {
        var block = new IndexedBlock(meta);
        var strings = new string[meta.StringTable.Count];
        for (var i = 0; i < strings.Length; i++)
        {
            strings[i] = shared.Intern(meta.StringTable[i]);
        }

        var datasets = new DatasetInfo[meta.Datasets.Count];
        for (var i = 0; i < datasets.Length; i++)
        {
            var dataset = meta.Datasets[i];
            var service = strings[dataset.Name];
            datasets[i] = new DatasetInfo
            {
                Block = block,
                Index = i,
                Tenant = strings[dataset.Tenant],
                Service = service,
                MinTime = dataset.MinTime,
                MaxTime = dataset.MaxTime,
                Series = ResolveSeries(dataset, strings, service, shared),
                LabelValues = ResolveLabelValues(dataset, strings),
            };
        }

        block.Datasets = datasets;
        return block;
    }

    // labels: n, k1, v1, ..., kn, vn, n, ... (validated before indexing)
    private static LabelSet[] ResolveSeries(Dataset dataset, string[] strings, string service, IndexStrings shared)
    {
        var labels = dataset.Labels;
        var result = new List<LabelSet>(2);
        var i = 0;
        while (i < labels.Count)
        {
            var n = labels[i++];
            string? type = null;
            string? serviceName = null;
            List<LabelPair>? extra = null;
            for (var k = 0; k < n; k++, i += 2)
            {
                var name = strings[labels[i]];
                var value = strings[labels[i + 1]];
                if (name == LabelNames.ProfileType)
                {
                    type = value;
                }
                else if (name == LabelNames.ServiceName)
                {
                    serviceName = value;
                }
                else if (!IsDerivedName(name))
                {
                    (extra ??= []).Add(new LabelPair(name, value));
                }
            }

            result.Add(shared.Series(serviceName ?? service, type, extra));
        }

        return result.Count > 0 ? [.. result] : [shared.Series(service, null, null)];
    }

    // label_values: name, n, v1, ..., vn, name, n, ... (n = 0: truncated)
    private static MetaLabelValues[] ResolveLabelValues(Dataset dataset, string[] strings)
    {
        var entries = dataset.LabelValues;
        if (entries.Count == 0)
        {
            return [];
        }

        var result = new List<MetaLabelValues>();
        var i = 0;
        while (i + 1 < entries.Count)
        {
            var name = strings[entries[i]];
            var n = entries[i + 1];
            i += 2;
            var values = new string[n];
            for (var k = 0; k < n; k++)
            {
                values[k] = strings[entries[i++]];
            }

            result.Add(new MetaLabelValues(name, values, n == 0));
        }

        return [.. result];
    }
}

/// <summary>
/// Shares what many blocks repeat: strings (service names, profile types, label values) and the derived label set
/// of each (service, profile type). Grows with the distinct values ever indexed.
/// </summary>
internal sealed class IndexStrings
{
    private readonly Dictionary<string, string> _strings = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Service, string Type), LabelSet> _series = [];

    public string Intern(string value)
    {
        if (_strings.TryGetValue(value, out var existing))
        {
            return existing;
        }

        _strings.Add(value, value);
        return value;
    }

    /// <summary>The label set of one profile type of a service, with the names derived from both.</summary>
    public LabelSet Series(string service, string? type, List<LabelPair>? extra)
    {
        if (extra is null && _series.TryGetValue((service, type ?? string.Empty), out var cached))
        {
            return cached;
        }

        var pairs = new List<LabelPair>(8 + (extra?.Count ?? 0))
        {
            new(LabelNames.ServiceName, service),
            new(LabelNames.ServiceNameCopy, service),
        };
        if (type is not null)
        {
            pairs.Add(new LabelPair(LabelNames.ProfileType, type));
            if (ProfileTypeId.TryParse(type, out var parsed, out _))
            {
                pairs.Add(new LabelPair(LabelNames.MetricName, Intern(parsed.Name)));
                pairs.Add(new LabelPair(LabelNames.Type, Intern(parsed.SampleType)));
                pairs.Add(new LabelPair(LabelNames.Unit, Intern(parsed.SampleUnit)));

                // Series carry __period_type__ / __period_unit__ only when the profile has a period type.
                AddIfPresent(pairs, LabelNames.PeriodType, Intern(parsed.PeriodType));
                AddIfPresent(pairs, LabelNames.PeriodUnit, Intern(parsed.PeriodUnit));
            }
        }

        if (extra is not null)
        {
            pairs.AddRange(extra);
            return LabelSet.Create(pairs.DistinctBy(p => p.Name));
        }

        var set = LabelSet.Create(pairs);
        _series.Add((service, type ?? string.Empty), set);
        return set;
    }

    private static void AddIfPresent(List<LabelPair> pairs, string name, string value)
    {
        if (value.Length > 0)
        {
            pairs.Add(new LabelPair(name, value));
        }
    }
}
