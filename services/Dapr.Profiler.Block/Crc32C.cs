using System.Buffers.Binary;
using System.Runtime.InteropServices;
using ArmCrc = System.Runtime.Intrinsics.Arm.Crc32;
using X86Sse42 = System.Runtime.Intrinsics.X86.Sse42;

namespace Dapr.Profiler.Block;

/// <summary>
/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as used by iSCSI, ext4 and Pyroscope's block footer.
/// Uses the SSE4.2 or ARMv8 CRC instructions when the CPU has them, and slicing-by-8 tables otherwise.
/// </summary>
public static class Crc32C
{
    private const uint Polynomial = 0x82F63B78u;

    private static readonly uint[] Table = BuildTable();

    /// <summary>The CRC-32C of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => Append(0, data);

    /// <summary>Continues a CRC: <c>Append(Compute(a), b) == Compute(a + b)</c>.</summary>
    public static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        if (X86Sse42.X64.IsSupported || ArmCrc.Arm64.IsSupported)
        {
            return ~UpdateHardware(~crc, data);
        }

        return ~UpdateSoftware(~crc, data);
    }

    /// <summary>The table implementation, whatever the CPU (tests compare both).</summary>
    internal static uint ComputeSoftware(ReadOnlySpan<byte> data) => ~UpdateSoftware(~0u, data);

    internal static bool HardwareSupported => X86Sse42.X64.IsSupported || ArmCrc.Arm64.IsSupported;

    private static uint UpdateHardware(uint crc, ReadOnlySpan<byte> data)
    {
        var words = MemoryMarshal.Cast<byte, ulong>(data);
        var tail = data[(words.Length * sizeof(ulong))..];
        if (X86Sse42.X64.IsSupported)
        {
            ulong wide = crc;
            foreach (var word in words)
            {
                wide = X86Sse42.X64.Crc32(wide, BitConverter.IsLittleEndian ? word : BinaryPrimitives.ReverseEndianness(word));
            }

            crc = (uint)wide;
            foreach (var b in tail)
            {
                crc = X86Sse42.Crc32(crc, b);
            }

            return crc;
        }

        foreach (var word in words)
        {
            crc = ArmCrc.Arm64.ComputeCrc32C(crc, BitConverter.IsLittleEndian ? word : BinaryPrimitives.ReverseEndianness(word));
        }

        foreach (var b in tail)
        {
            crc = ArmCrc.ComputeCrc32C(crc, b);
        }

        return crc;
    }

    private static uint UpdateSoftware(uint crc, ReadOnlySpan<byte> data)
    {
        var table = Table;
        while (data.Length >= 8)
        {
            var low = BinaryPrimitives.ReadUInt32LittleEndian(data) ^ crc;
            var high = BinaryPrimitives.ReadUInt32LittleEndian(data[4..]);
            crc = table[(7 * 256) + (low & 0xff)]
                ^ table[(6 * 256) + ((low >> 8) & 0xff)]
                ^ table[(5 * 256) + ((low >> 16) & 0xff)]
                ^ table[(4 * 256) + (low >> 24)]
                ^ table[(3 * 256) + (high & 0xff)]
                ^ table[(2 * 256) + ((high >> 8) & 0xff)]
                ^ table[256 + ((high >> 16) & 0xff)]
                ^ table[high >> 24];
            data = data[8..];
        }

        foreach (var b in data)
        {
            crc = table[(crc ^ b) & 0xff] ^ (crc >> 8);
        }

        return crc;
    }

    private static uint[] BuildTable()
    {
        var table = new uint[8 * 256];
        for (uint i = 0; i < 256; i++)
        {
            var crc = i;
            for (var bit = 0; bit < 8; bit++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ Polynomial : crc >> 1;
            }

            table[i] = crc;
        }

        for (var slice = 1; slice < 8; slice++)
        {
            for (var i = 0; i < 256; i++)
            {
                var previous = table[((slice - 1) * 256) + i];
                table[(slice * 256) + i] = (previous >> 8) ^ table[previous & 0xff];
            }
        }

        return table;
    }
}
