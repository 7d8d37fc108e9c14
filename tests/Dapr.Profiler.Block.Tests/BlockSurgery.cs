using System.Buffers.Binary;
using Dapr.Profiler.Protos.Block;
using Google.Protobuf;

namespace Dapr.Profiler.Block.Tests;

/// <summary>Takes a valid block apart and puts it back together with edits, recomputing offsets and checksums.</summary>
internal static class BlockSurgery
{
    /// <summary>The stored bytes of every section, by dataset then section.</summary>
    public static List<byte[][]> Sections(byte[] block)
    {
        var meta = BlockReader.ReadMeta(block);
        var result = new List<byte[][]>();
        foreach (var dataset in meta.Datasets)
        {
            var sections = new byte[BlockFormat.SectionCount][];
            var offset = (int)dataset.Offset;
            for (var i = 0; i < sections.Length; i++)
            {
                sections[i] = block.AsSpan(offset, (int)dataset.SectionSizes[i]).ToArray();
                offset += sections[i].Length;
            }

            result.Add(sections);
        }

        return result;
    }

    /// <summary>The block with one section's stored bytes replaced (checksums fixed, so only decoding can notice).</summary>
    public static byte[] WithSection(byte[] block, int dataset, int section, byte[] stored)
    {
        var sections = Sections(block);
        sections[dataset][section] = stored;
        return Assemble(BlockReader.ReadMeta(block), sections);
    }

    /// <summary>The block with its metadata edited and the trailer checksum recomputed.</summary>
    public static byte[] WithMeta(byte[] block, Action<BlockMeta> edit)
    {
        var meta = BlockReader.ReadMeta(block);
        var metaLength = BinaryPrimitives.ReadInt32LittleEndian(block.AsSpan(block.Length - 16));
        meta.Size = 0;
        edit(meta);
        var metaBytes = meta.ToByteArray();
        var result = new byte[block.Length - metaLength + metaBytes.Length];
        var dataEnd = block.Length - 16 - metaLength;
        block.AsSpan(0, dataEnd).CopyTo(result);
        metaBytes.CopyTo(result, dataEnd);
        BlockFormat.WriteTrailer(result.AsSpan(result.Length - 16), (uint)metaBytes.Length, Crc32C.Compute(metaBytes));
        return result;
    }

    /// <summary>The raw (decoded) bytes of a stored section.</summary>
    public static byte[] Decode(byte[] stored) => SectionCodec.Decode(stored, "test", int.MaxValue);

    /// <summary>Stores raw section bytes as the writer would.</summary>
    public static byte[] Encode(ReadOnlySpan<byte> raw, BlockCompression compression = BlockCompression.Brotli)
    {
        using var sink = new ByteSink();
        SectionCodec.Encode(raw, compression, 5, sink);
        return sink.WrittenSpan.ToArray();
    }

    private static byte[] Assemble(BlockMeta meta, List<byte[][]> sections)
    {
        using var output = new MemoryStream();
        Span<byte> fixedBytes = stackalloc byte[16];
        BlockFormat.WriteHeader(fixedBytes);
        output.Write(fixedBytes[..8]);
        for (var d = 0; d < sections.Count; d++)
        {
            var dataset = meta.Datasets[d];
            dataset.Offset = (ulong)output.Position;
            dataset.SectionSizes.Clear();
            dataset.SectionCrc32C.Clear();
            ulong size = 0;
            foreach (var section in sections[d])
            {
                output.Write(section);
                dataset.SectionSizes.Add((uint)section.Length);
                dataset.SectionCrc32C.Add(Crc32C.Compute(section));
                size += (ulong)section.Length;
            }

            dataset.Size = size;
        }

        meta.Size = 0;
        var metaBytes = meta.ToByteArray();
        output.Write(metaBytes);
        BlockFormat.WriteTrailer(fixedBytes, (uint)metaBytes.Length, Crc32C.Compute(metaBytes));
        output.Write(fixedBytes);
        return output.ToArray();
    }
}
