namespace Dapr.Profiler.Block;

/// <summary>
/// Reads varints from a decoded section. Every read is bounds-checked; counts are validated against the bytes
/// left before anything is allocated, so corrupt input ends in a <see cref="BlockFormatException"/>.
/// </summary>
internal ref struct ByteSource
{
    private readonly ReadOnlySpan<byte> _data;
    private readonly string _section;
    private int _position;

    public ByteSource(ReadOnlySpan<byte> data, string section)
    {
        _data = data;
        _section = section;
        _position = 0;
    }

    public readonly int Remaining => _data.Length - _position;

    public readonly int Position => _position;

    public ulong ReadVarint()
    {
        ulong result = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (_position >= _data.Length)
            {
                throw Error("ends in the middle of a value");
            }

            var b = _data[_position++];
            if (shift == 63 && b > 1)
            {
                throw Error("has a varint longer than 64 bits");
            }

            result |= (ulong)(b & 0x7f) << shift;
            if (b < 0x80)
            {
                return result;
            }
        }

        throw Error("has a varint longer than 64 bits");
    }

    public long ReadZigZag()
    {
        var raw = ReadVarint();
        return (long)(raw >> 1) ^ -(long)(raw & 1);
    }

    /// <summary>Reads a value that must be below <paramref name="limit"/> (an index into a table of that size).</summary>
    public int ReadIndex(int limit, string what)
    {
        var value = ReadVarint();
        if (value >= (ulong)limit)
        {
            throw Error($"refers to {what} {value}, but there are only {limit}");
        }

        return (int)value;
    }

    /// <summary>
    /// Reads an element count. Each element needs at least <paramref name="minBytesEach"/> more bytes, so a count
    /// larger than the rest of the section is corrupt (and is never allocated).
    /// </summary>
    public int ReadCount(int minBytesEach, string what)
    {
        var value = ReadVarint();
        if (value > (ulong)(Remaining / Math.Max(minBytesEach, 1)))
        {
            throw Error($"declares {value} {what}, more than its remaining {Remaining} bytes can hold");
        }

        return (int)value;
    }

    public ReadOnlySpan<byte> ReadBytes(int count)
    {
        if ((uint)count > (uint)Remaining)
        {
            throw Error($"ends before {count} bytes could be read");
        }

        var span = _data.Slice(_position, count);
        _position += count;
        return span;
    }

    public byte ReadByte()
    {
        if (_position >= _data.Length)
        {
            throw Error("ends in the middle of a value");
        }

        return _data[_position++];
    }

    public readonly void ExpectEnd()
    {
        if (_position != _data.Length)
        {
            throw Error($"has {Remaining} unexpected bytes at its end");
        }
    }

    public readonly BlockFormatException Error(string message) => new($"{_section} section {message}");
}
