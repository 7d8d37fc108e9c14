using System.Text;
using FsCheck;
using FsCheck.Fluent;

namespace Dapr.Profiler.Block.Tests;

public sealed class Crc32CTests
{
    public static TheoryData<string, uint> Vectors => new()
    {
        { string.Empty, 0x00000000u },
        { "a", 0xC1D04330u },
        { "123456789", 0xE3069283u },
        { "The quick brown fox jumps over the lazy dog", 0x22620404u },
    };

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Compute_MatchesKnownVectors(string text, uint expected)
    {
        var bytes = Encoding.ASCII.GetBytes(text);
        Assert.Equal(expected, Crc32C.Compute(bytes));
        Assert.Equal(expected, Crc32C.ComputeSoftware(bytes));
    }

    [Fact]
    public void Compute_MatchesTheIscsiTestVectors()
    {
        // RFC 3720, B.4: 32 bytes of zeros, of ones, incrementing and decrementing.
        var zeros = new byte[32];
        var ones = Enumerable.Repeat((byte)0xff, 32).ToArray();
        var up = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
        var down = Enumerable.Range(0, 32).Select(i => (byte)(31 - i)).ToArray();
        Assert.Equal(0x8A9136AAu, Crc32C.Compute(zeros));
        Assert.Equal(0x62A8AB43u, Crc32C.Compute(ones));
        Assert.Equal(0x46DD794Eu, Crc32C.Compute(up));
        Assert.Equal(0x113FDB5Cu, Crc32C.Compute(down));
    }

    [Fact]
    public void HardwareAndTablePaths_Agree_AndAppendComposes()
    {
        Prop.ForAll(
            ArbMap.Default.ArbFor<byte[]>(),
            Gen.Choose(0, 64).ToArbitrary(),
            (data, split) =>
            {
                var cut = Math.Min(split, data.Length);
                var whole = Crc32C.Compute(data);
                return whole == Crc32C.ComputeSoftware(data)
                    && whole == Crc32C.Append(Crc32C.Compute(data.AsSpan(0, cut)), data.AsSpan(cut));
            }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Compute_OfLargeUnalignedBuffers_MatchesTheTable()
    {
        var data = new byte[100_003];
        new Random(5).NextBytes(data);
        for (var offset = 0; offset < 9; offset++)
        {
            Assert.Equal(Crc32C.ComputeSoftware(data.AsSpan(offset)), Crc32C.Compute(data.AsSpan(offset)));
        }
    }
}
