using System.IO.Compression;

namespace Dapr.Profiler.Model;

/// <summary>Bounded gzip decompression: never produces more than a given number of bytes.</summary>
public static class Gzip
{
    /// <summary>True when the data starts with the gzip magic bytes 1f 8b.</summary>
    public static bool IsGzip(ReadOnlySpan<byte> data) => data.Length >= 2 && data[0] == 0x1f && data[1] == 0x8b;

    /// <summary>Decompresses gzip data (one or more members) into a new array of at most <paramref name="maxBytes"/>.</summary>
    /// <exception cref="ProfileTooLargeException">The output would exceed <paramref name="maxBytes"/>.</exception>
    /// <exception cref="MalformedProfileException">The gzip stream is corrupt or truncated.</exception>
    public static byte[] Decompress(ReadOnlyMemory<byte> data, long maxBytes, string limitName = nameof(PprofDecoderOptions.MaxDecompressedBytes))
    {
        // Start with a guess from the gzip trailer (ISIZE, the size mod 2^32 of the last member), clamped.
        ArgumentOutOfRangeException.ThrowIfNegative(maxBytes);

        // The buffer never grows past one byte more than the limit: reading that byte proves the limit is exceeded.
        var ceiling = Math.Min(maxBytes, Array.MaxLength - 1L) + 1;
        var guess = data.Length >= 18 ? BitConverter.ToUInt32(data.Span[^4..]) : 0u;
        var capacity = (int)Math.Clamp(guess == 0 ? data.Length * 4L : guess + 16L, Math.Min(256, ceiling), Math.Min(ceiling, 16L * 1024 * 1024));
        var buffer = new byte[capacity];
        var length = 0;
        try
        {
            using var input = new ReadOnlyMemoryStream(data);
            using var gzip = new GZipStream(input, CompressionMode.Decompress);
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (length > maxBytes)
                    {
                        throw TooLarge(maxBytes, limitName);
                    }

                    var next = (int)Math.Min(Math.Max(buffer.Length * 2L, 4096), ceiling);
                    Array.Resize(ref buffer, next);
                }

                var read = gzip.Read(buffer, length, buffer.Length - length);
                if (read == 0)
                {
                    break;
                }

                length += read;
                if (length > maxBytes)
                {
                    throw TooLarge(maxBytes, limitName);
                }
            }
        }
        catch (InvalidDataException ex)
        {
            throw new MalformedProfileException($"invalid gzip data: {ex.Message}", ex);
        }
        catch (EndOfStreamException ex)
        {
            throw new MalformedProfileException("invalid gzip data: unexpected end of stream", ex);
        }

        CheckTrailer(data.Span, buffer.AsSpan(0, length));
        if (length != buffer.Length)
        {
            Array.Resize(ref buffer, length);
        }

        return buffer;
    }

    /// <summary>
    /// GZipStream ends quietly on truncated input, so the trailer of the last member is checked: ISIZE gives the
    /// length of that member's output (a suffix of the whole), whose CRC-32 must match. A cut inside the data
    /// cannot pass this; a cut exactly between two members leaves a valid, shorter stream.
    /// </summary>
    private static void CheckTrailer(ReadOnlySpan<byte> data, ReadOnlySpan<byte> output)
    {
        if (data.Length < 18)
        {
            throw new MalformedProfileException("invalid gzip data: too short");
        }

        var crc = BitConverter.ToUInt32(data[^8..]);
        var size = BitConverter.ToUInt32(data[^4..]);
        if (size > output.Length || Crc32.Compute(output[^(int)size..]) != crc)
        {
            throw new MalformedProfileException("invalid gzip data: truncated or corrupt (the trailer does not match the data)");
        }
    }

    private static ProfileTooLargeException TooLarge(long maxBytes, string limitName) =>
        new(limitName, maxBytes, $"decompressed profile exceeds the limit of {maxBytes} bytes ({limitName})");

    /// <summary>A read-only stream over memory, so decompression needs no copy of the input.</summary>
    private sealed class ReadOnlyMemoryStream(ReadOnlyMemory<byte> data) : Stream
    {
        private int _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => data.Length;

        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var n = Math.Min(buffer.Length, data.Length - _position);
            data.Span.Slice(_position, n).CopyTo(buffer);
            _position += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
