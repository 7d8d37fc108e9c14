namespace Dapr.Profiler.Block;

/// <summary>A write-only stream that appends to a <see cref="ByteSink"/> (for compressors that need a stream).</summary>
internal sealed class SinkStream(ByteSink sink) : Stream
{
    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => sink.Length;

    public override long Position { get => sink.Length; set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => sink.WriteBytes(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer) => sink.WriteBytes(buffer);

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}

/// <summary>A read-only stream over a <see cref="ReadOnlyMemory{T}"/> (no copy).</summary>
internal sealed class MemoryReadStream(ReadOnlyMemory<byte> data) : Stream
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
