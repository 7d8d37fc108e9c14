using System.Buffers;
using System.IO.Compression;

namespace Dapr.Profiler.Block;

/// <summary>
/// Stored form of a section: <c>[codec: u8][raw length: varint][payload]</c>, where the payload is the raw section
/// compressed with the codec (<see cref="BlockCompression"/>).
/// </summary>
internal static class SectionCodec
{
    /// <summary>Sections smaller than this are stored uncompressed: compression would not pay for its header.</summary>
    private const int MinCompressBytes = 64;

    private const int BrotliWindow = 22;

    public static void Encode(ReadOnlySpan<byte> raw, BlockCompression compression, int level, ByteSink output)
    {
        if (raw.Length < MinCompressBytes)
        {
            compression = BlockCompression.None;
        }

        var start = output.Length;
        output.WriteByte((byte)compression);
        output.WriteVarint(raw.Length);
        var headerLength = output.Length - start;
        switch (compression)
        {
            case BlockCompression.Brotli:
                var destination = output.GetSpan(BrotliEncoder.GetMaxCompressedLength(raw.Length));
                if (!BrotliEncoder.TryCompress(raw, destination, out var written, Math.Clamp(level, 0, 11), BrotliWindow))
                {
                    throw new InvalidOperationException("brotli compression failed");
                }

                output.Advance(written);
                break;
            case BlockCompression.Deflate:
                var options = new ZLibCompressionOptions { CompressionLevel = Math.Clamp(level, 1, 9) };
                using (var stream = new DeflateStream(new SinkStream(output), options))
                {
                    stream.Write(raw);
                }

                break;
            default:
                output.WriteBytes(raw);
                return;
        }

        if (output.Length - start - headerLength >= raw.Length)
        {
            // Incompressible: store it instead.
            output.Truncate(start);
            output.WriteByte((byte)BlockCompression.None);
            output.WriteVarint(raw.Length);
            output.WriteBytes(raw);
        }
    }

    /// <summary>
    /// Decodes a stored section into its raw bytes. The declared raw length is checked against
    /// <paramref name="maxRawBytes"/>, and the output buffer grows with the data actually produced, so a lying
    /// length cannot make the reader allocate more than the compressed data really expands to.
    /// </summary>
    public static byte[] Decode(ReadOnlyMemory<byte> stored, string section, int maxRawBytes)
    {
        var source = new ByteSource(stored.Span, section);
        var codec = source.ReadByte();
        var rawLength = source.ReadVarint();
        if (rawLength > (ulong)maxRawBytes)
        {
            throw new BlockFormatException($"{section} section declares {rawLength} bytes, more than the limit of {maxRawBytes}");
        }

        var payload = stored[source.Position..];
        var length = (int)rawLength;
        switch ((BlockCompression)codec)
        {
            case BlockCompression.None:
                if (payload.Length != length)
                {
                    throw new BlockFormatException($"{section} section declares {length} bytes but stores {payload.Length}");
                }

                return payload.ToArray();
            case BlockCompression.Brotli:
                return DecodeBrotli(payload.Span, length, section);
            case BlockCompression.Deflate:
                return DecodeDeflate(payload, length, section);
            default:
                throw new BlockFormatException($"{section} section uses unknown compression {codec}");
        }
    }

    private static int InitialCapacity(int compressedLength, int rawLength) =>
        (int)Math.Min(rawLength, Math.Max(64 * 1024L, compressedLength * 16L));

    private static byte[] DecodeBrotli(ReadOnlySpan<byte> payload, int rawLength, string section)
    {
        var buffer = new byte[InitialCapacity(payload.Length, rawLength)];
        using var decoder = new BrotliDecoder();
        int consumed = 0, written = 0;
        while (true)
        {
            var status = decoder.Decompress(payload[consumed..], buffer.AsSpan(written), out var c, out var w);
            consumed += c;
            written += w;
            switch (status)
            {
                case OperationStatus.Done:
                    if (written != rawLength || consumed != payload.Length)
                    {
                        throw new BlockFormatException($"{section} section decompresses to {written} bytes, not the declared {rawLength}");
                    }

                    return buffer;
                case OperationStatus.DestinationTooSmall:
                    buffer = Grow(buffer, rawLength, section);
                    break;
                case OperationStatus.NeedMoreData:
                    throw new BlockFormatException($"{section} section is truncated: its compressed data ends early");
                default:
                    throw new BlockFormatException($"{section} section has invalid compressed data");
            }
        }
    }

    private static byte[] DecodeDeflate(ReadOnlyMemory<byte> payload, int rawLength, string section)
    {
        var buffer = new byte[InitialCapacity(payload.Length, rawLength)];
        var written = 0;
        try
        {
            using var stream = new DeflateStream(new MemoryReadStream(payload), CompressionMode.Decompress);
            while (true)
            {
                if (written == buffer.Length)
                {
                    if (written == rawLength)
                    {
                        Span<byte> probe = stackalloc byte[1];
                        if (stream.Read(probe) != 0)
                        {
                            throw new BlockFormatException($"{section} section decompresses to more than the declared {rawLength} bytes");
                        }

                        return buffer;
                    }

                    buffer = Grow(buffer, rawLength, section);
                }

                var n = stream.Read(buffer.AsSpan(written));
                if (n == 0)
                {
                    throw new BlockFormatException($"{section} section decompresses to {written} bytes, not the declared {rawLength}");
                }

                written += n;
            }
        }
        catch (InvalidDataException ex)
        {
            throw new BlockFormatException($"{section} section has invalid compressed data: {ex.Message}", ex);
        }
    }

    private static byte[] Grow(byte[] buffer, int rawLength, string section)
    {
        if (buffer.Length >= rawLength)
        {
            throw new BlockFormatException($"{section} section decompresses to more than the declared {rawLength} bytes");
        }

        var next = new byte[(int)Math.Min(rawLength, Math.Max(buffer.Length * 2L, 1024))];
        buffer.CopyTo(next, 0);
        return next;
    }
}
