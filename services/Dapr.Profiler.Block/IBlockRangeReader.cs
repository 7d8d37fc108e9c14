namespace Dapr.Profiler.Block;

/// <summary>Reads byte ranges of one stored object (an object store that supports range GETs).</summary>
public interface IBlockRangeReader
{
    /// <summary>Returns exactly <paramref name="length"/> bytes starting at <paramref name="offset"/>.</summary>
    ValueTask<ReadOnlyMemory<byte>> ReadRangeAsync(long offset, int length, CancellationToken cancellationToken);
}

/// <summary>Adapts a delegate to <see cref="IBlockRangeReader"/>.</summary>
public sealed class DelegateRangeReader(Func<long, int, CancellationToken, ValueTask<ReadOnlyMemory<byte>>> readRange) : IBlockRangeReader
{
    public ValueTask<ReadOnlyMemory<byte>> ReadRangeAsync(long offset, int length, CancellationToken cancellationToken) =>
        readRange(offset, length, cancellationToken);
}

/// <summary>Limits and read sizes of <see cref="BlockReader"/>.</summary>
public sealed class BlockReaderOptions
{
    public static BlockReaderOptions Default { get; } = new();

    /// <summary>The tail read that fetches the footer in range mode; bigger metadata costs one more read.</summary>
    public int FooterReadBytes { get; init; } = 64 * 1024;

    /// <summary>Largest metadata footer accepted.</summary>
    public int MaxMetaBytes { get; init; } = 64 * 1024 * 1024;

    /// <summary>Largest decompressed section accepted.</summary>
    public int MaxSectionBytes { get; init; } = 1024 * 1024 * 1024;
}
