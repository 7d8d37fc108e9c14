namespace Dapr.Profiler.Block;

/// <summary>Settings of <see cref="BlockWriter"/>. The defaults suit the segment writer (see README.md, "Compression").</summary>
public sealed class BlockWriterOptions
{
    public static BlockWriterOptions Default { get; } = new();

    /// <summary>The section codec.</summary>
    public BlockCompression Compression { get; init; } = BlockCompression.Brotli;

    /// <summary>Brotli quality (0–11) or deflate level (1–9).</summary>
    public int CompressionLevel { get; init; } = 4;

    /// <summary>
    /// Drops a row when an earlier row of the same series has the same timestamp (at-least-once duplicates, as
    /// Pyroscope's compaction does). Off for segments, on for compaction.
    /// </summary>
    public bool DropDuplicateRows { get; init; }

    /// <summary>
    /// Most distinct values of one label listed in the dataset metadata (<c>Dataset.label_values</c>); a label with more
    /// is listed with no values, and label queries about it read the series index.
    /// </summary>
    public int MaxMetaLabelValues { get; init; } = 256;
}
