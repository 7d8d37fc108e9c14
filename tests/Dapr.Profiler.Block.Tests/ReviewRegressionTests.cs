using Dapr.Profiler.Model;

namespace Dapr.Profiler.Block.Tests;

/// <summary>Inputs found by review that once escaped as untyped exceptions or lost data.</summary>
public sealed class ReviewRegressionTests
{
    private static byte[] SmallBlock()
    {
        var profile = TestData.Load("go-cpu.pb.gz").Single().Profile;
        return TestData.WriteAndOpen(TestData.Series(profile, "checkout", "process_cpu", 1_000_000_000L).Select(s => ("t", s))).Bytes;
    }

    [Fact]
    public void FooterWithAHugeLengthPrefix_AndAValidChecksum_IsABlockFormatError()
    {
        var block = SmallBlock();
        var huge = BlockSurgery.WithMeta(block, _ => { });
        var metaLength = System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(huge.AsSpan(huge.Length - 16));
        var meta = huge.AsSpan(huge.Length - 16 - metaLength, metaLength).ToArray();
        byte[] bad = [.. meta, 0x52, 0xff, 0xff, 0xff, 0xff, 0x07, 0x08, 0x01];
        var dataEnd = huge.Length - 16 - metaLength;
        var rebuilt = new byte[dataEnd + bad.Length + 16];
        huge.AsSpan(0, dataEnd).CopyTo(rebuilt);
        bad.CopyTo(rebuilt, dataEnd);
        BlockFormat.WriteTrailer(rebuilt.AsSpan(rebuilt.Length - 16), (uint)bad.Length, Crc32C.Compute(bad));

        Assert.ThrowsAny<BlockFormatException>(() => BlockReader.Open(rebuilt));
    }

    [Fact]
    public void FooterLabelSetNamingALabelTwice_IsABlockFormatError()
    {
        var block = BlockSurgery.WithMeta(SmallBlock(), meta =>
        {
            meta.Datasets[0].Labels.Clear();
            meta.Datasets[0].Labels.Add([2, 1, 1, 1, 1]);
        });

        Assert.ThrowsAny<BlockFormatException>(() => BlockReader.Open(block));
    }

    [Fact]
    public void DropDuplicateRows_KeepsDifferentProfilesThatShareATimestamp()
    {
        // Two pods of one service, no distinguishing label, both stamped with the same second.
        var a = TextProfileParser.Parse("main;foo 10\n"u8, TextProfileFormat.Folded, TextProfileType.FromAppName("x").Type, 100, 5_000_000_000);
        var b = TextProfileParser.Parse("main;bar 7\n"u8, TextProfileFormat.Folded, TextProfileType.FromAppName("x").Type, 100, 5_000_000_000);
        var segment = TestData.WriteAndOpen(
            TestData.Series(a, "svc", "process_cpu", 5_000_000_000).Concat(TestData.Series(b, "svc", "process_cpu", 5_000_000_000)).Select(s => ("t", s))).Reader;

        var writer = new BlockWriter(new BlockWriterOptions { DropDuplicateRows = true });
        writer.AddDataset(segment.OpenDataset(segment.Meta.Datasets[0]));
        writer.AddDataset(segment.OpenDataset(segment.Meta.Datasets[0]));
        var (bytes, meta) = writer.Build(Ulid.NewUlid().ToString(), 0, 1, "c");

        var tree = BlockReader.Open(bytes).OpenDataset(meta.Datasets[0]).BuildTree();
        Assert.Equal(17 * 10_000_000L, tree.Total);
        Assert.Equal(2u, meta.Datasets[0].ProfileCount);
    }
}
