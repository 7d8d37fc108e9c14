using System.Buffers.Binary;
using System.Numerics;

namespace Dapr.Profiler.Model;

/// <summary>
/// XXH64 (the 64-bit xxHash by Yann Collet, per its published specification). Pyroscope places
/// profiles with xxhash64 of the tenant and service names, so the same function is used here.
/// </summary>
public static class XxHash64
{
    private const ulong Prime1 = 11400714785074694791UL;
    private const ulong Prime2 = 14029467366897019727UL;
    private const ulong Prime3 = 1609587929392839161UL;
    private const ulong Prime4 = 9650029242287828579UL;
    private const ulong Prime5 = 2870177450012600261UL;

    public static ulong Hash(string text, ulong seed = 0)
    {
        ArgumentNullException.ThrowIfNull(text);
        var max = System.Text.Encoding.UTF8.GetMaxByteCount(text.Length);
        if (max <= 512)
        {
            Span<byte> buffer = stackalloc byte[max];
            var n = System.Text.Encoding.UTF8.GetBytes(text, buffer);
            return Hash(buffer[..n], seed);
        }

        return Hash(System.Text.Encoding.UTF8.GetBytes(text), seed);
    }

    public static ulong Hash(ReadOnlySpan<byte> data, ulong seed = 0)
    {
        var length = (ulong)data.Length;
        ulong h;
        if (data.Length >= 32)
        {
            var v1 = unchecked(seed + Prime1 + Prime2);
            var v2 = unchecked(seed + Prime2);
            var v3 = seed;
            var v4 = unchecked(seed - Prime1);
            while (data.Length >= 32)
            {
                v1 = Round(v1, BinaryPrimitives.ReadUInt64LittleEndian(data));
                v2 = Round(v2, BinaryPrimitives.ReadUInt64LittleEndian(data[8..]));
                v3 = Round(v3, BinaryPrimitives.ReadUInt64LittleEndian(data[16..]));
                v4 = Round(v4, BinaryPrimitives.ReadUInt64LittleEndian(data[24..]));
                data = data[32..];
            }

            h = unchecked(BitOperations.RotateLeft(v1, 1) + BitOperations.RotateLeft(v2, 7)
                + BitOperations.RotateLeft(v3, 12) + BitOperations.RotateLeft(v4, 18));
            h = MergeRound(h, v1);
            h = MergeRound(h, v2);
            h = MergeRound(h, v3);
            h = MergeRound(h, v4);
        }
        else
        {
            h = unchecked(seed + Prime5);
        }

        h = unchecked(h + length);
        while (data.Length >= 8)
        {
            var k = Round(0, BinaryPrimitives.ReadUInt64LittleEndian(data));
            h = unchecked((BitOperations.RotateLeft(h ^ k, 27) * Prime1) + Prime4);
            data = data[8..];
        }

        if (data.Length >= 4)
        {
            h = unchecked((BitOperations.RotateLeft(h ^ (BinaryPrimitives.ReadUInt32LittleEndian(data) * Prime1), 23) * Prime2) + Prime3);
            data = data[4..];
        }

        foreach (var b in data)
        {
            h = unchecked(BitOperations.RotateLeft(h ^ (b * Prime5), 11) * Prime1);
        }

        h ^= h >> 33;
        h = unchecked(h * Prime2);
        h ^= h >> 29;
        h = unchecked(h * Prime3);
        h ^= h >> 32;
        return h;
    }

    private static ulong Round(ulong acc, ulong input)
    {
        acc = unchecked(acc + (input * Prime2));
        acc = BitOperations.RotateLeft(acc, 31);
        return unchecked(acc * Prime1);
    }

    private static ulong MergeRound(ulong acc, ulong val)
    {
        val = Round(0, val);
        acc ^= val;
        return unchecked((acc * Prime1) + Prime4);
    }
}

/// <summary>Collects bytes and strings, then hashes them with XXH64 in one pass.</summary>
internal struct XxHash64Builder
{
    private byte[]? _buffer;
    private int _length;

    public void Append(byte value)
    {
        Ensure(1);
        _buffer![_length++] = value;
    }

    public void Append(string text)
    {
        Ensure(System.Text.Encoding.UTF8.GetMaxByteCount(text.Length));
        _length += System.Text.Encoding.UTF8.GetBytes(text, _buffer.AsSpan(_length));
    }

    public readonly ulong Finish() => XxHash64.Hash(_buffer.AsSpan(0, _length));

    private void Ensure(int extra)
    {
        _buffer ??= new byte[Math.Max(256, extra)];
        if (_length + extra > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + extra));
        }
    }
}
