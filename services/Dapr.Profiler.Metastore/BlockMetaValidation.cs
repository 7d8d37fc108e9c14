using Dapr.Profiler.Block;
using Dapr.Profiler.Protos.Block;
using Google.Protobuf.Collections;

namespace Dapr.Profiler.Metastore;

/// <summary>
/// Checks block metadata before it is logged, so that nothing the state machine applies can fail and the index
/// never holds a reference it cannot resolve.
/// </summary>
internal static class BlockMetaValidation
{
    /// <exception cref="MetastoreInvalidRequestException">The metadata is unusable; the message says why.</exception>
    public static void Validate(BlockMeta? block)
    {
        if (block is null)
        {
            throw new MetastoreInvalidRequestException("the request has no block metadata");
        }

        if (!Ulid.TryParse(block.Id, out _))
        {
            throw Invalid(block, "its id is not a ULID");
        }

        var strings = block.StringTable.Count;
        if (strings == 0 || block.StringTable[0].Length != 0)
        {
            throw Invalid(block, "its string table must start with \"\"");
        }

        CheckString(block, block.Tenant, "tenant");
        CheckString(block, block.CreatedBy, "created_by");
        if (block.MinTime > block.MaxTime)
        {
            throw Invalid(block, $"min_time {block.MinTime} is after max_time {block.MaxTime}");
        }

        if (block.Datasets.Count == 0)
        {
            throw Invalid(block, "it has no datasets");
        }

        for (var i = 0; i < block.Datasets.Count; i++)
        {
            ValidateDataset(block, block.Datasets[i], i);
        }
    }

    private static void ValidateDataset(BlockMeta block, Dataset dataset, int position)
    {
        var name = $"dataset {position}";
        CheckString(block, dataset.Tenant, name + " tenant");
        CheckString(block, dataset.Name, name + " name");
        if (dataset.MinTime > dataset.MaxTime)
        {
            throw Invalid(block, $"{name}: min_time {dataset.MinTime} is after max_time {dataset.MaxTime}");
        }

        if (block.Tenant != 0 && !string.Equals(block.StringTable[block.Tenant], block.StringTable[dataset.Tenant], StringComparison.Ordinal))
        {
            throw Invalid(block, $"{name} belongs to tenant \"{block.StringTable[dataset.Tenant]}\", not the block's tenant \"{block.StringTable[block.Tenant]}\"");
        }

        CheckLabels(block, dataset.Labels, name);
        CheckLabelValues(block, dataset.LabelValues, name);
    }

    private static void CheckLabels(BlockMeta block, RepeatedField<int> labels, string name)
    {
        var i = 0;
        while (i < labels.Count)
        {
            var n = labels[i++];
            if (n < 0 || (long)n * 2 > labels.Count - i)
            {
                throw Invalid(block, $"{name}: labels are not a sequence of n, k1, v1, ..., kn, vn");
            }

            for (var k = 0; k < 2 * n; k++, i++)
            {
                CheckString(block, labels[i], name + " label");
            }
        }
    }

    private static void CheckLabelValues(BlockMeta block, RepeatedField<int> entries, string name)
    {
        var i = 0;
        while (i < entries.Count)
        {
            if (i + 1 >= entries.Count)
            {
                throw Invalid(block, $"{name}: label_values end in the middle of an entry");
            }

            CheckString(block, entries[i], name + " label name");
            var n = entries[i + 1];
            i += 2;
            if (n < 0 || n > entries.Count - i)
            {
                throw Invalid(block, $"{name}: label_values are not a sequence of name, n, v1, ..., vn");
            }

            for (var k = 0; k < n; k++, i++)
            {
                CheckString(block, entries[i], name + " label value");
            }
        }
    }

    private static void CheckString(BlockMeta block, int index, string what)
    {
        if ((uint)index >= (uint)block.StringTable.Count)
        {
            throw Invalid(block, $"{what} refers to string {index}, outside its string table of {block.StringTable.Count}");
        }
    }

    private static MetastoreInvalidRequestException Invalid(BlockMeta block, string reason) =>
        new($"invalid block metadata {block.Id}: {reason}");
}
