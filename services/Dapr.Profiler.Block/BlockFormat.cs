using System.Buffers.Binary;

namespace Dapr.Profiler.Block;

/// <summary>Constants of block format v1 (see README.md for the byte layout).</summary>
public static class BlockFormat
{
    /// <summary>The format version this code writes and reads.</summary>
    public const uint Version = 1;

    /// <summary>Header: the 6 bytes of <see cref="HeaderMagic"/>, then the version as u16 LE.</summary>
    public const int HeaderSize = 8;

    /// <summary>Trailer: u32 LE metadata length, u32 LE CRC-32C of the metadata, 8 magic bytes.</summary>
    public const int TrailerSize = 16;

    /// <summary>The smallest possible object: a header, empty metadata and the trailer.</summary>
    public const int MinObjectSize = HeaderSize + TrailerSize;

    /// <summary>The number of sections of a dataset: series index, profiles, symbols.</summary>
    public const int SectionCount = 3;

    /// <summary>Index of the series index section in <c>Dataset.section_sizes</c>.</summary>
    public const int SeriesSection = 0;

    /// <summary>Index of the profiles (rows) section.</summary>
    public const int ProfilesSection = 1;

    /// <summary>Index of the symbols section.</summary>
    public const int SymbolsSection = 2;

    /// <summary>The first 6 bytes of every block object: ASCII "DPRBLK".</summary>
    public static ReadOnlySpan<byte> HeaderMagic => "DPRBLK"u8;

    /// <summary>The last 8 bytes of every block object: ASCII "DPRBLKFT".</summary>
    public static ReadOnlySpan<byte> TrailerMagic => "DPRBLKFT"u8;

    internal static string[] SectionNames { get; } = ["series index", "profiles", "symbols"];

    internal static void WriteHeader(Span<byte> destination)
    {
        HeaderMagic.CopyTo(destination);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[HeaderMagic.Length..], (ushort)Version);
    }

    internal static void WriteTrailer(Span<byte> destination, uint metaLength, uint metaCrc)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(destination, metaLength);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[4..], metaCrc);
        TrailerMagic.CopyTo(destination[8..]);
    }

    /// <summary>Checks the 8-byte header of a whole object.</summary>
    internal static void CheckHeader(ReadOnlySpan<byte> header)
    {
        if (header.Length < HeaderSize || !header[..HeaderMagic.Length].SequenceEqual(HeaderMagic))
        {
            throw new BlockFormatException("not a block: the header magic \"DPRBLK\" is missing");
        }

        var version = BinaryPrimitives.ReadUInt16LittleEndian(header[HeaderMagic.Length..]);
        if (version != Version)
        {
            throw new UnsupportedBlockVersionException(version);
        }
    }

    /// <summary>Reads the trailer (the last 16 bytes) and returns the metadata length and checksum.</summary>
    internal static (int MetaLength, uint MetaCrc) ReadTrailer(ReadOnlySpan<byte> trailer, long objectSize)
    {
        if (!trailer[8..].SequenceEqual(TrailerMagic))
        {
            throw new BlockFormatException("not a block, or a truncated one: the trailer magic \"DPRBLKFT\" is missing");
        }

        var metaLength = BinaryPrimitives.ReadUInt32LittleEndian(trailer);
        if (metaLength > objectSize - MinObjectSize)
        {
            throw new BlockFormatException($"metadata length {metaLength} exceeds the object of {objectSize} bytes");
        }

        return ((int)metaLength, BinaryPrimitives.ReadUInt32LittleEndian(trailer[4..]));
    }

    /// <summary>Unix milliseconds of a nanosecond timestamp, rounded down.</summary>
    internal static long NanosToMillis(long nanos) => Math.DivRem(nanos, 1_000_000L) switch
    {
        (var q, < 0) => q - 1,
        (var q, _) => q,
    };
}
