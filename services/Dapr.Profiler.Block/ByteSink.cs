using System.Buffers;
using System.Text;

namespace Dapr.Profiler.Block;

/// <summary>A growable byte buffer on <see cref="ArrayPool{T}"/> with protobuf-style varint writers.</summary>
internal sealed class ByteSink : IDisposable
{
    private byte[] _buffer;
    private int _length;

    public ByteSink(int capacity = 4096)
    {
        _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(capacity, 16));
    }

    public int Length => _length;

    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _length);

    public void Clear() => _length = 0;

    /// <summary>Drops everything written after <paramref name="length"/>.</summary>
    public void Truncate(int length) => _length = Math.Min(_length, length);

    public void WriteByte(byte value)
    {
        Ensure(1);
        _buffer[_length++] = value;
    }

    public void WriteVarint(ulong value)
    {
        Ensure(10);
        var buffer = _buffer;
        var n = _length;
        while (value >= 0x80)
        {
            buffer[n++] = (byte)(value | 0x80);
            value >>= 7;
        }

        buffer[n++] = (byte)value;
        _length = n;
    }

    /// <summary>Writes a non-negative int as a varint.</summary>
    public void WriteVarint(int value) => WriteVarint((ulong)(uint)value);

    /// <summary>Writes a signed value as a zigzag varint (small magnitudes take few bytes).</summary>
    public void WriteZigZag(long value) => WriteVarint((ulong)((value << 1) ^ (value >> 63)));

    public void WriteBytes(ReadOnlySpan<byte> bytes)
    {
        Ensure(bytes.Length);
        bytes.CopyTo(_buffer.AsSpan(_length));
        _length += bytes.Length;
    }

    /// <summary>Writes the UTF-8 bytes of a string (no length prefix) and returns their count.</summary>
    public int WriteUtf8(string text)
    {
        Ensure(Encoding.UTF8.GetMaxByteCount(text.Length));
        var n = Encoding.UTF8.GetBytes(text, _buffer.AsSpan(_length));
        _length += n;
        return n;
    }

    /// <summary>A writable span of at least <paramref name="size"/> bytes at the end; commit with <see cref="Advance"/>.</summary>
    public Span<byte> GetSpan(int size)
    {
        Ensure(size);
        return _buffer.AsSpan(_length);
    }

    public void Advance(int count) => _length += count;

    public void Dispose()
    {
        var buffer = _buffer;
        _buffer = [];
        _length = 0;
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private void Ensure(int extra)
    {
        if (_buffer.Length - _length >= extra)
        {
            return;
        }

        var needed = (long)_length + extra;
        var size = Math.Max(needed, Math.Min((long)_buffer.Length * 2, Array.MaxLength));
        if (needed > Array.MaxLength)
        {
            throw new InvalidOperationException("a block section cannot exceed 2 GiB");
        }

        var next = ArrayPool<byte>.Shared.Rent((int)size);
        _buffer.AsSpan(0, _length).CopyTo(next);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = next;
    }
}
