using System.Buffers.Binary;
using System.Globalization;
using Dapr.Profiler.Block;
using Dapr.Profiler.ObjectStorage;
using Dapr.Profiler.Protos.Block;
using Dapr.Profiler.Protos.Metastore;
using Google.Protobuf;
using Microsoft.Extensions.Logging;

namespace Dapr.Profiler.Metastore;

/// <summary>A snapshot file and the log address it covers (every record before it is applied in the snapshot).</summary>
internal sealed record SnapshotFile(string Path, long Address);

/// <summary>The content of a snapshot.</summary>
internal sealed record SnapshotData(long Address, long LastIndex, IReadOnlyList<BlockMeta> Blocks, SnapshotExtra? Extra);

/// <summary>
/// Snapshot files <c>snapshot-{address:D20}.bin</c> in one directory. Layout:
/// <code>
/// "DPMSNAP1"  u32 LE version (2)  i64 LE log address  i64 LE last command index  i64 LE block count
/// count × (varint length, BlockMeta protobuf)
/// varint length, SnapshotExtra protobuf (tombstones, retention edges, job leases; absent in version 1)
/// u32 LE CRC-32C of every byte before it   "DPMSEND1"
/// </code>
/// A snapshot is written to a <c>.tmp</c> file, fsynced, renamed into place and the directory fsynced, so a crash
/// leaves either the old set of snapshots or the new one, never a partial file under a snapshot name.
/// </summary>
internal sealed class SnapshotStore(string directory, ILogger logger)
{
    private const string Prefix = "snapshot-";
    private const string Suffix = ".bin";
    private const string TempSuffix = ".tmp";
    private const uint Version = 2;
    private const int HeaderSize = 8 + 4 + 8 + 8 + 8;
    private const int TrailerSize = 4 + 8;
    private static readonly byte[] HeaderMagic = "DPMSNAP1"u8.ToArray();
    private static readonly byte[] TrailerMagic = "DPMSEND1"u8.ToArray();

    public string Directory { get; } = directory;

    /// <summary>The snapshots, newest (highest address) first.</summary>
    public IReadOnlyList<SnapshotFile> List()
    {
        var result = new List<SnapshotFile>();
        foreach (var path in System.IO.Directory.EnumerateFiles(Directory, Prefix + "*" + Suffix))
        {
            var name = Path.GetFileName(path);
            var digits = name.AsSpan(Prefix.Length, name.Length - Prefix.Length - Suffix.Length);
            if (long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var address))
            {
                result.Add(new SnapshotFile(path, address));
            }
        }

        result.Sort((a, b) => b.Address.CompareTo(a.Address));
        return result;
    }

    /// <summary>Removes <c>.tmp</c> files a crash left behind. Call only when no snapshot is being written.</summary>
    public void DeleteTemporaryFiles()
    {
        foreach (var path in System.IO.Directory.EnumerateFiles(Directory, Prefix + "*" + TempSuffix))
        {
            File.Delete(path);
        }
    }

    /// <summary>Writes a snapshot durably.</summary>
    /// <returns>The file's path and size in bytes.</returns>
    public (string Path, long Bytes) Write(long address, long lastIndex, IReadOnlyCollection<BlockMeta> blocks, SnapshotExtra extra)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        ArgumentNullException.ThrowIfNull(extra);
        var final = Path.Combine(Directory, $"{Prefix}{address.ToString("D20", CultureInfo.InvariantCulture)}{Suffix}");
        var temp = final + TempSuffix;
        long size;
        using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
        {
            var checksum = new ChecksumStream(file);
            Span<byte> header = stackalloc byte[HeaderSize];
            HeaderMagic.CopyTo(header);
            BinaryPrimitives.WriteUInt32LittleEndian(header[8..], Version);
            BinaryPrimitives.WriteInt64LittleEndian(header[12..], address);
            BinaryPrimitives.WriteInt64LittleEndian(header[20..], lastIndex);
            BinaryPrimitives.WriteInt64LittleEndian(header[28..], blocks.Count);
            checksum.Write(header);
            var output = new CodedOutputStream(checksum, leaveOpen: true);
            foreach (var block in blocks)
            {
                output.WriteLength(block.CalculateSize());
                block.WriteTo(output);
            }

            output.WriteLength(extra.CalculateSize());
            extra.WriteTo(output);
            output.Flush();

            Span<byte> trailer = stackalloc byte[TrailerSize];
            BinaryPrimitives.WriteUInt32LittleEndian(trailer, checksum.Crc);
            TrailerMagic.CopyTo(trailer[4..]);
            file.Write(trailer);
            file.Flush(flushToDisk: true);
            size = file.Length;
        }

        File.Move(temp, final, overwrite: true);
        SyncDirectory();
        return (final, size);
    }

    /// <summary>Reads and verifies a whole snapshot: the checksum first, then the blocks.</summary>
    /// <exception cref="CorruptRecordException">The file is damaged or not a snapshot.</exception>
    public static SnapshotData Read(string path)
    {
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            var bodyLength = file.Length - TrailerSize;
            if (bodyLength < HeaderSize)
            {
                throw new CorruptRecordException($"a snapshot of {file.Length} bytes is too short");
            }

            VerifyChecksum(file, bodyLength);
            file.Position = 0;
            Span<byte> header = stackalloc byte[HeaderSize];
            file.ReadExactly(header);
            if (!header[..8].SequenceEqual(HeaderMagic))
            {
                throw new CorruptRecordException("not a metastore snapshot (bad magic)");
            }

            var version = BinaryPrimitives.ReadUInt32LittleEndian(header[8..]);
            if (version is not (1 or Version))
            {
                throw new CorruptRecordException($"snapshot version {version} is not supported");
            }

            var address = BinaryPrimitives.ReadInt64LittleEndian(header[12..]);
            var lastIndex = BinaryPrimitives.ReadInt64LittleEndian(header[20..]);
            var count = BinaryPrimitives.ReadInt64LittleEndian(header[28..]);
            if (count < 0 || count > bodyLength)
            {
                throw new CorruptRecordException($"snapshot claims {count} blocks in {bodyLength} bytes");
            }

            var blocks = new List<BlockMeta>((int)Math.Min(count, 1 << 20));
            var input = new CodedInputStream(file, leaveOpen: true);
            var start = input.Position;
            for (long i = 0; i < count; i++)
            {
                var block = new BlockMeta();
                input.ReadMessage(block);
                blocks.Add(block);
            }

            SnapshotExtra? extra = null;
            if (version >= 2)
            {
                extra = new SnapshotExtra();
                input.ReadMessage(extra);
            }

            if (HeaderSize + input.Position - start != bodyLength)
            {
                throw new CorruptRecordException("snapshot blocks do not end at its trailer");
            }

            return new SnapshotData(address, lastIndex, blocks, extra);
        }
        catch (Exception ex) when (ex is EndOfStreamException or InvalidProtocolBufferException)
        {
            throw new CorruptRecordException($"snapshot is truncated or damaged: {ex.Message}", ex);
        }
    }

    private static void VerifyChecksum(FileStream file, long bodyLength)
    {
        var buffer = new byte[1 << 20];
        uint crc = 0;
        for (long done = 0; done < bodyLength;)
        {
            var chunk = (int)Math.Min(buffer.Length, bodyLength - done);
            file.ReadExactly(buffer, 0, chunk);
            crc = Crc32C.Append(crc, buffer.AsSpan(0, chunk));
            done += chunk;
        }

        Span<byte> trailer = stackalloc byte[TrailerSize];
        file.ReadExactly(trailer);
        if (BinaryPrimitives.ReadUInt32LittleEndian(trailer) != crc || !trailer[4..].SequenceEqual(TrailerMagic))
        {
            throw new CorruptRecordException("snapshot checksum mismatch");
        }
    }

    private void SyncDirectory()
    {
        if (!DirectorySync.TrySync(Directory, out var errno))
        {
            logger.DirectorySyncUnsupported(Directory, errno);
        }
    }
}
