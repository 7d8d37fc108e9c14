using Dapr.Profiler.Block;

namespace Dapr.Profiler.Metastore;

/// <summary>A write-only stream that passes bytes on to another stream and keeps the CRC-32C of all of them.</summary>
internal sealed class ChecksumStream(Stream inner) : Stream
{
    private long _written;

    public uint Crc { get; private set; }

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => _written;

    public override long Position
    {
        get => _written;
        set => throw new NotSupportedException();
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        inner.Write(buffer);
        Crc = Crc32C.Append(Crc, buffer);
        _written += buffer.Length;
    }

    public override void Flush() => inner.Flush();

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
