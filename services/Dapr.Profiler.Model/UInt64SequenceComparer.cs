using System.Runtime.InteropServices;

namespace Dapr.Profiler.Model;

/// <summary>Compares <c>ulong</c> sequences by content; a span can look up an array key without allocating.</summary>
internal sealed class UInt64SequenceComparer : IEqualityComparer<ulong[]>, IAlternateEqualityComparer<ReadOnlySpan<ulong>, ulong[]>
{
    public static UInt64SequenceComparer Instance { get; } = new();

    public bool Equals(ulong[]? x, ulong[]? y) => ReferenceEquals(x, y) || (x is not null && y is not null && x.AsSpan().SequenceEqual(y));

    public int GetHashCode(ulong[] obj) => Hash(obj);

    public bool Equals(ReadOnlySpan<ulong> alternate, ulong[] other) => alternate.SequenceEqual(other);

    public int GetHashCode(ReadOnlySpan<ulong> alternate) => Hash(alternate);

    public ulong[] Create(ReadOnlySpan<ulong> alternate) => alternate.ToArray();

    private static int Hash(ReadOnlySpan<ulong> values)
    {
        var hash = default(HashCode);
        hash.AddBytes(MemoryMarshal.AsBytes(values));
        return hash.ToHashCode();
    }
}
