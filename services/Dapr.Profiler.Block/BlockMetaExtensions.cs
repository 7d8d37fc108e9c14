using Dapr.Profiler.Model;
using Dapr.Profiler.Protos.Block;

namespace Dapr.Profiler.Block;

/// <summary>The values of one label in a dataset's metadata; <paramref name="Truncated"/> when it had too many to list.</summary>
public readonly record struct MetaLabelValues(string Name, IReadOnlyList<string> Values, bool Truncated);

/// <summary>Resolves the string-table references of <see cref="BlockMeta"/> and <see cref="Dataset"/>.</summary>
public static class BlockMetaExtensions
{
    public static string GetString(this BlockMeta meta, int index)
    {
        ArgumentNullException.ThrowIfNull(meta);
        return (uint)index < (uint)meta.StringTable.Count ? meta.StringTable[index] : throw new ArgumentOutOfRangeException(nameof(index));
    }

    /// <summary>The block's tenant; "" for a multi-tenant segment.</summary>
    public static string GetTenant(this BlockMeta meta) => meta.GetString(meta.Tenant);

    public static string GetCreatedBy(this BlockMeta meta) => meta.GetString(meta.CreatedBy);

    public static Ulid GetUlid(this BlockMeta meta)
    {
        ArgumentNullException.ThrowIfNull(meta);
        return Ulid.Parse(meta.Id);
    }

    public static string GetTenant(this BlockMeta meta, Dataset dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        return meta.GetString(dataset.Tenant);
    }

    public static string GetServiceName(this BlockMeta meta, Dataset dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        return meta.GetString(dataset.Name);
    }

    /// <summary>The datasets of one tenant (and service, when given), in block order.</summary>
    public static IEnumerable<Dataset> FindDatasets(this BlockMeta meta, string tenant, string? service = null)
    {
        ArgumentNullException.ThrowIfNull(meta);
        ArgumentNullException.ThrowIfNull(tenant);
        foreach (var dataset in meta.Datasets)
        {
            if (string.Equals(meta.GetString(dataset.Tenant), tenant, StringComparison.Ordinal)
                && (service is null || string.Equals(meta.GetString(dataset.Name), service, StringComparison.Ordinal)))
            {
                yield return dataset;
            }
        }
    }

    /// <summary>The dataset's label sets: one <c>{__profile_type__, service_name}</c> per profile type.</summary>
    public static IReadOnlyList<LabelSet> GetLabelSets(this BlockMeta meta, Dataset dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        var result = new List<LabelSet>();
        var labels = dataset.Labels;
        var i = 0;
        while (i < labels.Count)
        {
            var n = labels[i++];
            var pairs = new LabelPair[n];
            for (var k = 0; k < n; k++)
            {
                pairs[k] = new LabelPair(meta.GetString(labels[i]), meta.GetString(labels[i + 1]));
                i += 2;
            }

            result.Add(LabelSet.Create((IEnumerable<LabelPair>)pairs));
        }

        return result;
    }

    /// <summary>The profile type ids of the dataset (the <c>__profile_type__</c> of its label sets).</summary>
    public static IReadOnlyList<string> GetProfileTypes(this BlockMeta meta, Dataset dataset)
    {
        var sets = meta.GetLabelSets(dataset);
        var result = new List<string>(sets.Count);
        foreach (var set in sets)
        {
            if (set.Get(LabelNames.ProfileType) is { } type)
            {
                result.Add(type);
            }
        }

        return result;
    }

    /// <summary>The label names and values of the dataset's series, except service_name and __profile_type__.</summary>
    public static IReadOnlyList<MetaLabelValues> GetLabelValues(this BlockMeta meta, Dataset dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        var result = new List<MetaLabelValues>();
        var entries = dataset.LabelValues;
        var i = 0;
        while (i + 1 < entries.Count)
        {
            var name = meta.GetString(entries[i]);
            var n = entries[i + 1];
            i += 2;
            var values = new string[n];
            for (var k = 0; k < n; k++)
            {
                values[k] = meta.GetString(entries[i++]);
            }

            result.Add(new MetaLabelValues(name, values, n == 0));
        }

        return result;
    }
}
