using Dapr.Profiler.Protos.Block;
using Google.Protobuf;

namespace Dapr.Profiler.Block;

/// <summary>Parses the metadata footer and checks every reference and range in it.</summary>
internal static class BlockMetaValidator
{
    public static BlockMeta Parse(ReadOnlySpan<byte> metaBytes, uint expectedCrc, long objectSize)
    {
        var crc = Crc32C.Compute(metaBytes);
        if (crc != expectedCrc)
        {
            throw new BlockFormatException($"metadata checksum mismatch: stored 0x{expectedCrc:x8}, computed 0x{crc:x8}");
        }

        BlockMeta meta;
        try
        {
            meta = BlockMeta.Parser.ParseFrom(metaBytes);
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new BlockFormatException($"metadata is not a valid BlockMeta: {ex.Message}", ex);
        }
        catch (Exception ex) when (ex is IndexOutOfRangeException or ArgumentOutOfRangeException or OverflowException)
        {
            // Google.Protobuf's span parser can index past the end on a length prefix near 2^31.
            throw new BlockFormatException("metadata is not a valid BlockMeta: a length prefix runs past its end", ex);
        }

        if (meta.FormatVersion != BlockFormat.Version)
        {
            throw new UnsupportedBlockVersionException(meta.FormatVersion);
        }

        var strings = meta.StringTable.Count;
        if (strings == 0 || meta.StringTable[0].Length != 0)
        {
            throw new BlockFormatException("metadata string table must start with \"\"");
        }

        CheckString(meta.Tenant, strings, "block tenant");
        CheckString(meta.CreatedBy, strings, "created_by");
        var dataEnd = objectSize - BlockFormat.TrailerSize - metaBytes.Length;
        foreach (var dataset in meta.Datasets)
        {
            ValidateDataset(dataset, strings, dataEnd);
        }

        meta.Size = (ulong)objectSize;
        return meta;
    }

    /// <summary>Checks a dataset's string references, labels and that its sections lie inside the data area.</summary>
    public static void ValidateDataset(Dataset dataset, int strings, long dataEnd)
    {
        CheckString(dataset.Tenant, strings, "dataset tenant");
        CheckString(dataset.Name, strings, "dataset name");
        var name = "dataset at offset " + dataset.Offset.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (dataset.Offset < BlockFormat.HeaderSize || dataset.Offset > (ulong)dataEnd || dataset.Size > (ulong)dataEnd - dataset.Offset)
        {
            throw new BlockFormatException($"{name} of {dataset.Size} bytes lies outside the data area [{BlockFormat.HeaderSize}, {dataEnd})");
        }

        if (dataset.Size > int.MaxValue)
        {
            throw new BlockFormatException($"{name} is {dataset.Size} bytes, more than one read can hold");
        }

        if (dataset.SectionSizes.Count != BlockFormat.SectionCount || dataset.SectionCrc32C.Count != BlockFormat.SectionCount)
        {
            throw new BlockFormatException($"{name} must list {BlockFormat.SectionCount} section sizes and checksums");
        }

        ulong sum = 0;
        foreach (var size in dataset.SectionSizes)
        {
            sum += size;
        }

        if (sum != dataset.Size)
        {
            throw new BlockFormatException($"{name}: its section sizes add up to {sum}, not its size {dataset.Size}");
        }

        CheckLabelSets(dataset, strings);
        CheckLabelValues(dataset, strings);
    }

    private static void CheckLabelSets(Dataset dataset, int strings)
    {
        var labels = dataset.Labels;
        var i = 0;
        while (i < labels.Count)
        {
            var n = labels[i++];
            if (n < 0 || n > (labels.Count - i) / 2)
            {
                throw new BlockFormatException($"dataset labels have an invalid pair count {n}");
            }

            var names = new HashSet<int>();
            for (var k = 0; k < n; k++)
            {
                CheckString(labels[i], strings, "dataset label");
                CheckString(labels[i + 1], strings, "dataset label");
                if (!names.Add(labels[i]))
                {
                    throw new BlockFormatException($"a dataset label set names string {labels[i]} twice");
                }

                i += 2;
            }
        }
    }

    private static void CheckLabelValues(Dataset dataset, int strings)
    {
        var values = dataset.LabelValues;
        var i = 0;
        while (i < values.Count)
        {
            if (values.Count - i < 2)
            {
                throw new BlockFormatException("dataset label values end in the middle of an entry");
            }

            CheckString(values[i++], strings, "label name");
            var n = values[i++];
            if (n < 0 || n > values.Count - i)
            {
                throw new BlockFormatException($"dataset label values have an invalid value count {n}");
            }

            for (var k = 0; k < n; k++)
            {
                CheckString(values[i++], strings, "label value");
            }
        }
    }

    private static void CheckString(int index, int strings, string what)
    {
        if ((uint)index >= (uint)strings)
        {
            throw new BlockFormatException($"metadata {what} refers to string {index}, outside the table of {strings}");
        }
    }
}
