using System.Buffers.Binary;
namespace Dapr.Profiler.Block.Tests;

public sealed class CorruptionTests
{
    private const long Second = 1_000_000_000L;

    private static readonly Lazy<byte[]> Sample = new(() =>
    {
        var writer = new BlockWriter();
        for (var i = 0; i < 3; i++)
        {
            foreach (var s in TestData.Series(ProfileSpec.Random(i, samples: 120).Build(), $"svc-{i}", "process_cpu", (i + 1) * Second))
            {
                writer.Add(i == 2 ? "tenant-b" : "tenant-a", s);
            }
        }

        return writer.Build(Ulid.NewUlid().ToString(), 0, 0, "tests").Bytes;
    });

    /// <summary>Opens the block and reads everything in it; only BlockFormatException may escape.</summary>
    internal static void ReadEverything(byte[] bytes)
    {
        var reader = BlockReader.Open(bytes);
        foreach (var dataset in reader.Meta.Datasets)
        {
            var data = reader.OpenDataset(dataset);
            _ = data.Rows().Count();
            _ = data.SeriesTotals().Sum(p => p.Total);
            _ = data.BuildTree();
            foreach (var series in data.Series)
            {
                var labels = series.Labels;
                _ = data.BuildPprof(l => ReferenceEquals(l, labels));
            }

            var frames = new List<string>();
            foreach (var row in data.Rows())
            {
                foreach (var id in row.StackIds.ToArray())
                {
                    frames.Clear();
                    data.GetFrames(id, frames);
                }
            }

            var copy = new BlockWriter();
            copy.AddDataset(data);
            _ = copy.Build(Ulid.NewUlid().ToString(), 0, 1, "tests");
        }
    }

    [Fact]
    public void Sample_IsReadable()
    {
        ReadEverything(Sample.Value);
    }

    [Fact]
    public void FlippedByte_InAnySection_FailsTheChecksum()
    {
        var bytes = Sample.Value;
        var meta = BlockReader.ReadMeta(bytes);
        foreach (var dataset in meta.Datasets)
        {
            var offset = (long)dataset.Offset;
            for (var section = 0; section < BlockFormat.SectionCount; section++)
            {
                var size = dataset.SectionSizes[section];
                foreach (var position in new[] { offset, offset + (size / 2), offset + size - 1 })
                {
                    var corrupt = (byte[])bytes.Clone();
                    corrupt[position] ^= 0x10;
                    var reader = BlockReader.Open(corrupt);
                    var error = Assert.ThrowsAny<BlockFormatException>(() => reader.OpenDataset(reader.Meta.Datasets[meta.Datasets.IndexOf(dataset)]));
                    Assert.Contains("checksum", error.Message, StringComparison.Ordinal);
                }

                offset += size;
            }
        }
    }

    [Fact]
    public void FlippedByte_AnywhereInTheFooterOrHeader_IsRejected()
    {
        var bytes = Sample.Value;
        var metaLength = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(bytes.Length - 16));
        var footerStart = bytes.Length - 16 - metaLength;
        var positions = Enumerable.Range(footerStart, bytes.Length - footerStart).Concat(Enumerable.Range(0, BlockFormat.HeaderSize));
        foreach (var position in positions)
        {
            foreach (var mask in new byte[] { 0x01, 0x80 })
            {
                var corrupt = (byte[])bytes.Clone();
                corrupt[position] ^= mask;
                Assert.ThrowsAny<BlockFormatException>(() => BlockReader.Open(corrupt));
            }
        }
    }

    [Fact]
    public void TruncatedObject_IsRejected_AtEveryLength()
    {
        var bytes = Sample.Value;
        for (var length = 0; length < bytes.Length; length++)
        {
            Assert.ThrowsAny<BlockFormatException>(() => BlockReader.Open(bytes.AsMemory(0, length)));
        }
    }

    [Fact]
    public void RandomBytes_AreRejected()
    {
        var random = new Random(42);
        for (var i = 0; i < 2_000; i++)
        {
            var data = new byte[random.Next(0, 4096)];
            random.NextBytes(data);
            if (i % 2 == 0 && data.Length >= 24)
            {
                // Plausible framing around garbage: the magics are right, so the length and checksums must catch it.
                BlockFormat.WriteHeader(data);
                BlockFormat.TrailerMagic.CopyTo(data.AsSpan(data.Length - 8));
            }

            Assert.ThrowsAny<BlockFormatException>(() => BlockReader.Open(data));
        }
    }

    [Fact]
    public void UnknownVersions_AreRejectedWithATypedError()
    {
        var bytes = Sample.Value;
        var header = (byte[])bytes.Clone();
        header[6] = 2;
        Assert.Equal(2u, Assert.Throws<UnsupportedBlockVersionException>(() => BlockReader.Open(header)).Version);

        var meta = BlockSurgery.WithMeta(bytes, m => m.FormatVersion = 7);
        Assert.Equal(7u, Assert.Throws<UnsupportedBlockVersionException>(() => BlockReader.Open(meta)).Version);
    }

    [Fact]
    public void HugeOrInconsistentLengths_InTheFooter_AreRejected()
    {
        var bytes = Sample.Value;
        var trailer = (byte[])bytes.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(trailer.AsSpan(trailer.Length - 16), 0xFFFF_FFF0u);
        Assert.ThrowsAny<BlockFormatException>(() => BlockReader.Open(trailer));

        var edits = new Action<Protos.Block.BlockMeta>[]
        {
            m => m.Datasets[0].Size = ulong.MaxValue,
            m => m.Datasets[0].Offset = ulong.MaxValue - 3,
            m => m.Datasets[1].Offset = (ulong)bytes.Length,
            m => m.Datasets[0].Offset = 0,
            m => m.Datasets[0].SectionSizes[1] += 1,
            m => m.Datasets[0].SectionSizes.RemoveAt(2),
            m => m.Datasets[0].SectionCrc32C.Clear(),
            m => m.Datasets[0].Size = 3_000_000_000,
            m => m.Datasets[0].Name = 1_000_000,
            m => m.Datasets[0].Labels.Add(int.MaxValue),
            m => m.Datasets[0].LabelValues.Add([1, 1_000]),
            m => m.Tenant = -1,
            m => m.StringTable.Clear(),
            m => m.StringTable[0] = "x",
        };
        foreach (var edit in edits)
        {
            var corrupt = BlockSurgery.WithMeta(bytes, edit);
            Assert.ThrowsAny<BlockFormatException>(() => BlockReader.Open(corrupt));
        }
    }

    [Fact]
    public void HugeDeclaredLengths_InsideSections_FailWithoutAllocatingThem()
    {
        var bytes = Sample.Value;
        List<byte[]> cases =
        [
            // Brotli section declaring 1 GiB that holds a few bytes.
            [2, 0x80, 0x80, 0x80, 0x80, 0x04, 0x1b, 0x03, 0x00],
            // Stored section declaring more than it has.
            [0, 0xff, 0xff, 0xff, 0xff, 0x03, 1, 2, 3],
            // Raw sections whose first count is enormous.
            BlockSurgery.Encode([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0, 0], BlockCompression.None),
            BlockSurgery.Encode(Enumerable.Repeat((byte)0xff, 9).Append((byte)0x01).Concat(new byte[100]).ToArray()),
            // Unknown codec.
            [9, 1, 0],
        ];

        foreach (var stored in cases)
        {
            for (var section = 0; section < BlockFormat.SectionCount; section++)
            {
                var corrupt = BlockSurgery.WithSection(bytes, 0, section, stored);
                var before = GC.GetAllocatedBytesForCurrentThread();
                Assert.ThrowsAny<BlockFormatException>(() => ReadEverything(corrupt));
                var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
                Assert.True(allocated < 32 * 1024 * 1024, $"allocated {allocated} bytes for a corrupt section");
            }
        }
    }

    [Fact]
    public void MutatedSectionContents_WithValidChecksums_OnlyEverThrowBlockFormatException()
    {
        var bytes = Sample.Value;
        var sections = BlockSurgery.Sections(bytes);
        var random = new Random(1234);
        var failures = 0;
        for (var iteration = 0; iteration < 1500; iteration++)
        {
            var dataset = random.Next(sections.Count);
            var section = iteration % BlockFormat.SectionCount;
            var raw = BlockSurgery.Decode(sections[dataset][section]);
            Mutate(raw, random, out var mutated);
            var corrupt = BlockSurgery.WithSection(bytes, dataset, section, BlockSurgery.Encode(mutated));
            try
            {
                ReadEverything(corrupt);
            }
            catch (BlockFormatException)
            {
                failures++;
            }
        }

        // Most mutations must be detected; the rest decoded into some other valid data without crashing.
        Assert.True(failures > 300, $"only {failures} of 1500 mutations were detected");
    }

    private static void Mutate(byte[] raw, Random random, out byte[] mutated)
    {
        switch (random.Next(4))
        {
            case 0:
                mutated = raw.AsSpan(0, random.Next(raw.Length)).ToArray();
                return;
            case 1:
                mutated = [.. raw, .. new byte[random.Next(1, 8)]];
                return;
            default:
                mutated = (byte[])raw.Clone();
                if (mutated.Length == 0)
                {
                    return;
                }

                for (var n = random.Next(1, 4); n > 0; n--)
                {
                    mutated[random.Next(mutated.Length)] = (byte)random.Next(256);
                }

                return;
        }
    }

    [Fact]
    public void LabelSetsInTheSeriesIndex_WithDuplicateNames_AreAFormatError()
    {
        // series section: strings ["", "a", "b"], one type, one series with label a=b twice.
        byte[] raw = [3, 0, 1, 1, (byte)'a', (byte)'b', 1, 1, 1, 1, 1, 1, 1, 0, 2, 1, 2, 1, 2];
        var corrupt = BlockSurgery.WithSection(Sample.Value, 0, BlockFormat.SeriesSection, BlockSurgery.Encode(raw));
        var error = Assert.ThrowsAny<BlockFormatException>(() => ReadEverything(corrupt));
        Assert.Contains("label", error.Message, StringComparison.Ordinal);
    }
}
