using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Dapr.Profiler.Block;

/// <summary>
/// A ULID (https://github.com/ulid/spec): a 48-bit Unix millisecond timestamp and 80 random bits, written as 26
/// Crockford base32 characters. Ids sort by time, both as values and as strings, so listing a bucket prefix returns
/// blocks in time order.
/// </summary>
public readonly struct Ulid : IEquatable<Ulid>, IComparable<Ulid>
{
    /// <summary>The length of the text form.</summary>
    public const int Length = 26;

    /// <summary>The largest timestamp a ULID can hold (2^48 - 1 ms, year 10889).</summary>
    public const long MaxTimestampMs = (1L << 48) - 1;

    private const string Alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

    private static readonly sbyte[] Decoding = BuildDecoding();

    // _high: timestamp (48 bits) then the first 16 bits of randomness; _low: the last 64 bits of randomness.
    private readonly ulong _high;
    private readonly ulong _low;

    private Ulid(ulong high, ulong low)
    {
        _high = high;
        _low = low;
    }

    /// <summary>Builds a ULID from a timestamp and 10 bytes of randomness.</summary>
    public Ulid(long timestampMs, ReadOnlySpan<byte> randomness)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(timestampMs);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(timestampMs, MaxTimestampMs);
        if (randomness.Length != 10)
        {
            throw new ArgumentException("a ULID has 10 bytes of randomness", nameof(randomness));
        }

        _high = ((ulong)timestampMs << 16) | BinaryPrimitives.ReadUInt16BigEndian(randomness);
        _low = BinaryPrimitives.ReadUInt64BigEndian(randomness[2..]);
    }

    /// <summary>The all-zero ULID.</summary>
    public static Ulid Empty => default;

    /// <summary>Unix milliseconds.</summary>
    public long TimestampMs => (long)(_high >> 16);

    public DateTimeOffset Time => DateTimeOffset.FromUnixTimeMilliseconds(TimestampMs);

    /// <summary>A new ULID with cryptographically random bits.</summary>
    public static Ulid NewUlid(DateTimeOffset time)
    {
        Span<byte> randomness = stackalloc byte[10];
        RandomNumberGenerator.Fill(randomness);
        return new Ulid(ClampTime(time), randomness);
    }

    public static Ulid NewUlid() => NewUlid(DateTimeOffset.UtcNow);

    /// <summary>
    /// A deterministic ULID: the timestamp of <paramref name="time"/> and the first 80 bits of SHA-256 of
    /// <paramref name="seed"/>. Compaction derives its output id from its inputs this way, so a retried job writes
    /// the same object.
    /// </summary>
    public static Ulid FromHash(DateTimeOffset time, ReadOnlySpan<byte> seed)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(seed, hash);
        return new Ulid(ClampTime(time), hash[..10]);
    }

    /// <exception cref="FormatException">The text is not a ULID.</exception>
    public static Ulid Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return TryParse(text, out var ulid) ? ulid : throw new FormatException($"\"{text}\" is not a ULID (26 Crockford base32 characters)");
    }

    /// <summary>Parses 26 Crockford base32 characters, case-insensitively.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out Ulid ulid)
    {
        ulid = default;
        if (text.Length != Length)
        {
            return false;
        }

        // 26 characters carry 130 bits; the first character may only use its low 3 bits.
        ulong high = 0;
        ulong low = 0;
        for (var i = 0; i < Length; i++)
        {
            var c = text[i];
            var value = c < 128 ? Decoding[c] : (sbyte)-1;
            if (value < 0 || (i == 0 && value > 7))
            {
                return false;
            }

            // Shift the 128-bit value (high:low) left by 5 and add the digit.
            high = (high << 5) | (low >> 59);
            low = (low << 5) | (byte)value;
        }

        ulid = new Ulid(high, low);
        return true;
    }

    /// <summary>Writes the 26-character form.</summary>
    public bool TryFormat(Span<char> destination, out int charsWritten)
    {
        if (destination.Length < Length)
        {
            charsWritten = 0;
            return false;
        }

        var high = _high;
        var low = _low;
        for (var i = Length - 1; i >= 0; i--)
        {
            destination[i] = Alphabet[(int)(low & 31)];
            low = (low >> 5) | (high << 59);
            high >>= 5;
        }

        charsWritten = Length;
        return true;
    }

    public override string ToString()
    {
        return string.Create(Length, this, static (span, ulid) => ulid.TryFormat(span, out _));
    }

    /// <summary>The 16 bytes, big-endian (the binary form of the spec).</summary>
    public void WriteBytes(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, _high);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _low);
    }

    public static Ulid FromBytes(ReadOnlySpan<byte> bytes) =>
        new(BinaryPrimitives.ReadUInt64BigEndian(bytes), BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]));

    public bool Equals(Ulid other) => _high == other._high && _low == other._low;

    public override bool Equals(object? obj) => obj is Ulid other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(_high, _low);

    public int CompareTo(Ulid other)
    {
        var c = _high.CompareTo(other._high);
        return c != 0 ? c : _low.CompareTo(other._low);
    }

    public static bool operator ==(Ulid left, Ulid right) => left.Equals(right);

    public static bool operator !=(Ulid left, Ulid right) => !left.Equals(right);

    public static bool operator <(Ulid left, Ulid right) => left.CompareTo(right) < 0;

    public static bool operator <=(Ulid left, Ulid right) => left.CompareTo(right) <= 0;

    public static bool operator >(Ulid left, Ulid right) => left.CompareTo(right) > 0;

    public static bool operator >=(Ulid left, Ulid right) => left.CompareTo(right) >= 0;

    private static long ClampTime(DateTimeOffset time) => Math.Clamp(time.ToUnixTimeMilliseconds(), 0, MaxTimestampMs);

    private static sbyte[] BuildDecoding()
    {
        var table = new sbyte[128];
        Array.Fill(table, (sbyte)-1);
        for (var i = 0; i < Alphabet.Length; i++)
        {
            table[Alphabet[i]] = (sbyte)i;
            table[char.ToLowerInvariant(Alphabet[i])] = (sbyte)i;
        }

        return table;
    }
}
