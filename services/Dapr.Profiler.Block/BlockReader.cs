using Dapr.Profiler.Protos.Block;

namespace Dapr.Profiler.Block;

/// <summary>
/// Reads a block object: its metadata footer, then datasets on demand. Either the whole object is in memory
/// (<see cref="Open"/>, also the path for stores without range reads: one GET), or only ranges are fetched
/// (<see cref="OpenAsync"/>: one tail read for the footer, one read per dataset). Every problem with the bytes is a
/// <see cref="BlockFormatException"/>.
/// </summary>
public sealed class BlockReader
{
    private readonly ReadOnlyMemory<byte> _object;
    private readonly IBlockRangeReader? _ranges;
    private readonly BlockReaderOptions _options;
    private readonly long _dataEnd;

    private BlockReader(ReadOnlyMemory<byte> block, IBlockRangeReader? ranges, BlockMeta meta, int metaLength, BlockReaderOptions options)
    {
        _object = block;
        _ranges = ranges;
        Meta = meta;
        _options = options;
        _dataEnd = (long)meta.Size - BlockFormat.TrailerSize - metaLength;
    }

    /// <summary>The validated metadata; <see cref="BlockMeta.Size"/> is the object size.</summary>
    public BlockMeta Meta { get; }

    /// <summary>True when the whole object is in memory, so <see cref="OpenDataset(Dataset)"/> needs no I/O.</summary>
    public bool IsInMemory => _ranges is null;

    /// <exception cref="BlockFormatException">The bytes are not a valid block.</exception>
    public static BlockReader Open(ReadOnlyMemory<byte> block, BlockReaderOptions? options = null)
    {
        options ??= BlockReaderOptions.Default;
        if (block.Length < BlockFormat.MinObjectSize)
        {
            throw new BlockFormatException($"object of {block.Length} bytes is too small to be a block (at least {BlockFormat.MinObjectSize})");
        }

        var span = block.Span;
        var (metaLength, metaCrc) = BlockFormat.ReadTrailer(span[^BlockFormat.TrailerSize..], block.Length);
        BlockFormat.CheckHeader(span);
        var metaStart = block.Length - BlockFormat.TrailerSize - metaLength;
        var meta = BlockMetaValidator.Parse(span.Slice(metaStart, metaLength), metaCrc, block.Length);
        return new BlockReader(block, null, meta, metaLength, options);
    }

    /// <summary>Reads only the metadata of a whole object.</summary>
    /// <exception cref="BlockFormatException">The bytes are not a valid block.</exception>
    public static BlockMeta ReadMeta(ReadOnlyMemory<byte> block, BlockReaderOptions? options = null) => Open(block, options).Meta;

    /// <summary>Opens a block through range reads: one read of the tail (and one more if the footer is larger).</summary>
    /// <exception cref="BlockFormatException">The bytes are not a valid block.</exception>
    public static async ValueTask<BlockReader> OpenAsync(
        IBlockRangeReader reader,
        long objectSize,
        BlockReaderOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reader);
        options ??= BlockReaderOptions.Default;
        if (objectSize < BlockFormat.MinObjectSize)
        {
            throw new BlockFormatException($"object of {objectSize} bytes is too small to be a block (at least {BlockFormat.MinObjectSize})");
        }

        var tailLength = (int)Math.Min(objectSize, Math.Max(options.FooterReadBytes, BlockFormat.MinObjectSize));
        var tail = await ReadExactAsync(reader, objectSize - tailLength, tailLength, cancellationToken);
        var (metaLength, metaCrc) = BlockFormat.ReadTrailer(tail.Span[^BlockFormat.TrailerSize..], objectSize);
        if (metaLength > options.MaxMetaBytes)
        {
            throw new BlockFormatException($"metadata of {metaLength} bytes exceeds the limit of {options.MaxMetaBytes}");
        }

        if (tailLength == objectSize)
        {
            BlockFormat.CheckHeader(tail.Span);
        }

        ReadOnlyMemory<byte> metaBytes;
        if (metaLength + BlockFormat.TrailerSize <= tailLength)
        {
            metaBytes = tail.Slice(tailLength - BlockFormat.TrailerSize - metaLength, metaLength);
        }
        else
        {
            metaBytes = await ReadExactAsync(reader, objectSize - BlockFormat.TrailerSize - metaLength, metaLength, cancellationToken);
        }

        var meta = BlockMetaValidator.Parse(metaBytes.Span, metaCrc, objectSize);
        return tailLength == objectSize
            ? new BlockReader(tail, null, meta, metaLength, options)
            : new BlockReader(ReadOnlyMemory<byte>.Empty, reader, meta, metaLength, options);
    }

    /// <summary>Opens a dataset of an in-memory block (no I/O).</summary>
    /// <exception cref="InvalidOperationException">The block was opened with range reads; use <see cref="OpenDatasetAsync"/>.</exception>
    /// <exception cref="BlockFormatException">The dataset's sections are corrupt.</exception>
    public DatasetReader OpenDataset(Dataset dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        if (_ranges is not null)
        {
            throw new InvalidOperationException("the block was opened with range reads; use OpenDatasetAsync");
        }

        BlockMetaValidator.ValidateDataset(dataset, Meta.StringTable.Count, _dataEnd);
        return CreateDataset(_object.Slice((int)dataset.Offset, (int)dataset.Size), dataset);
    }

    /// <summary>Opens a dataset, with one range read of its sections when the block is not in memory.</summary>
    /// <exception cref="BlockFormatException">The dataset's sections are corrupt.</exception>
    public async ValueTask<DatasetReader> OpenDatasetAsync(Dataset dataset, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        if (_ranges is null)
        {
            return OpenDataset(dataset);
        }

        BlockMetaValidator.ValidateDataset(dataset, Meta.StringTable.Count, _dataEnd);
        var bytes = await ReadExactAsync(_ranges, (long)dataset.Offset, (int)dataset.Size, cancellationToken);
        return CreateDataset(bytes, dataset);
    }

    /// <summary>Opens a dataset from its bytes fetched by the caller (<c>[offset, offset + size)</c> of the object).</summary>
    /// <exception cref="BlockFormatException">The bytes do not match the dataset's metadata.</exception>
    public DatasetReader OpenDataset(Dataset dataset, ReadOnlyMemory<byte> datasetBytes)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        BlockMetaValidator.ValidateDataset(dataset, Meta.StringTable.Count, _dataEnd);
        return CreateDataset(datasetBytes, dataset);
    }

    private DatasetReader CreateDataset(ReadOnlyMemory<byte> bytes, Dataset dataset) =>
        new(bytes, dataset, Meta.StringTable[dataset.Tenant], Meta.StringTable[dataset.Name], _options);

    private static async ValueTask<ReadOnlyMemory<byte>> ReadExactAsync(IBlockRangeReader reader, long offset, int length, CancellationToken cancellationToken)
    {
        var bytes = await reader.ReadRangeAsync(offset, length, cancellationToken);
        if (bytes.Length != length)
        {
            throw new BlockFormatException($"range read at {offset} returned {bytes.Length} bytes instead of {length}: the object is truncated");
        }

        return bytes;
    }
}
