namespace Dapr.Profiler.Block;

/// <summary>
/// The bytes are not a valid block: bad magic, a checksum mismatch, a truncated object, an offset or length out of
/// range, or a section whose contents do not decode. Readers throw only this type for bad input.
/// </summary>
public class BlockFormatException : Exception
{
    public BlockFormatException(string message)
        : base(message)
    {
    }

    public BlockFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>The block was written in a format version this reader does not know.</summary>
public sealed class UnsupportedBlockVersionException : BlockFormatException
{
    public UnsupportedBlockVersionException(uint version)
        : base($"block format version {version} is not supported; this reader knows version {BlockFormat.Version}")
    {
        Version = version;
    }

    /// <summary>The version found in the block.</summary>
    public uint Version { get; }
}
