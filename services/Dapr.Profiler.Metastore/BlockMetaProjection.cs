using Dapr.Profiler.Protos.Block;

namespace Dapr.Profiler.Metastore;

/// <summary>
/// Copies a block's metadata with only some of its datasets and a string table holding exactly the strings those
/// datasets (and the block's own fields) refer to. Block-level fields (id, tenant, shard, level, time range, size)
/// describe the object and are kept as they are.
/// </summary>
internal static class BlockMetaProjection
{
    public static BlockMeta Project(BlockHit hit)
    {
        ArgumentNullException.ThrowIfNull(hit);
        var source = hit.Block.Meta;
        var strings = new Remapper(source);
        var copy = new BlockMeta
        {
            FormatVersion = source.FormatVersion,
            Id = source.Id,
            Tenant = strings.Map(source.Tenant),
            Shard = source.Shard,
            CompactionLevel = source.CompactionLevel,
            MinTime = source.MinTime,
            MaxTime = source.MaxTime,
            CreatedBy = strings.Map(source.CreatedBy),
            Size = source.Size,
        };

        foreach (var info in hit.Datasets)
        {
            var dataset = source.Datasets[info.Index].Clone();
            dataset.Tenant = strings.Map(dataset.Tenant);
            dataset.Name = strings.Map(dataset.Name);
            MapLabels(dataset, strings);
            MapLabelValues(dataset, strings);
            copy.Datasets.Add(dataset);
        }

        copy.StringTable.AddRange(strings.Table);
        return copy;
    }

    // labels: n, k1, v1, ..., kn, vn, n, ... (validated when the block was added).
    private static void MapLabels(Dataset dataset, Remapper strings)
    {
        var labels = dataset.Labels;
        var i = 0;
        while (i < labels.Count)
        {
            var n = labels[i++];
            for (var k = 0; k < 2 * n; k++, i++)
            {
                labels[i] = strings.Map(labels[i]);
            }
        }
    }

    // label_values: name, n, v1, ..., vn, name, n, ...
    private static void MapLabelValues(Dataset dataset, Remapper strings)
    {
        var entries = dataset.LabelValues;
        var i = 0;
        while (i + 1 < entries.Count)
        {
            entries[i] = strings.Map(entries[i]);
            var n = entries[i + 1];
            i += 2;
            for (var k = 0; k < n; k++, i++)
            {
                entries[i] = strings.Map(entries[i]);
            }
        }
    }

    private sealed class Remapper
    {
        private readonly BlockMeta _source;
        private readonly int[] _map;

        public Remapper(BlockMeta source)
        {
            _source = source;
            _map = new int[source.StringTable.Count];
            Array.Fill(_map, -1);
            _map[0] = 0;
        }

        public List<string> Table { get; } = [string.Empty];

        public int Map(int index)
        {
            ref var slot = ref _map[index];
            if (slot < 0)
            {
                slot = Table.Count;
                Table.Add(_source.StringTable[index]);
            }

            return slot;
        }
    }
}
