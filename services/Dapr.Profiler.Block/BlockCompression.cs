namespace Dapr.Profiler.Block;

/// <summary>How the writer compresses sections. The codec is stored in each section, so readers need no setting.</summary>
public enum BlockCompression : byte
{
    /// <summary>Stored as is.</summary>
    None = 0,

    /// <summary>Raw deflate (RFC 1951), level from <see cref="BlockWriterOptions.CompressionLevel"/> (1–9).</summary>
    Deflate = 1,

    /// <summary>Brotli (RFC 7932), quality from <see cref="BlockWriterOptions.CompressionLevel"/> (0–11).</summary>
    Brotli = 2,
}
