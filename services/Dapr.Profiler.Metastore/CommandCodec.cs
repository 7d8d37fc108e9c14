using System.Buffers.Binary;
using Dapr.Profiler.Block;
using Dapr.Profiler.Protos.Metastore;
using Google.Protobuf;

namespace Dapr.Profiler.Metastore;

/// <summary>A decoded log record: the command and its index (1, 2, 3, … in log order, never reused).</summary>
internal readonly record struct IndexedCommand(long Index, Command Command);

/// <summary>
/// The bytes of one log record: <c>u32 LE CRC-32C(rest)</c>, <c>u64 LE command index</c>, then the
/// <see cref="Command"/> protobuf. The checksum catches records FASTER hands back damaged (a torn write in the page
/// it reloads, zeros read from a truncated file); the index reveals records that went missing in between.
/// </summary>
internal static class CommandCodec
{
    /// <summary>Bytes the framing adds to a command.</summary>
    public const int Overhead = 12;

    public static byte[] Encode(long index, ReadOnlySpan<byte> command)
    {
        var frame = new byte[Overhead + command.Length];
        BinaryPrimitives.WriteInt64LittleEndian(frame.AsSpan(4), index);
        command.CopyTo(frame.AsSpan(Overhead));
        BinaryPrimitives.WriteUInt32LittleEndian(frame, Crc32C.Compute(frame.AsSpan(4)));
        return frame;
    }

    /// <exception cref="CorruptRecordException">The checksum does not match or the payload is not a known command.</exception>
    public static IndexedCommand Decode(ReadOnlySpan<byte> frame)
    {
        if (frame.Length < Overhead)
        {
            throw new CorruptRecordException($"a record of {frame.Length} bytes is shorter than its header");
        }

        var stored = BinaryPrimitives.ReadUInt32LittleEndian(frame);
        var computed = Crc32C.Compute(frame[4..]);
        if (stored != computed)
        {
            throw new CorruptRecordException($"record checksum mismatch: stored 0x{stored:x8}, computed 0x{computed:x8}");
        }

        var index = BinaryPrimitives.ReadInt64LittleEndian(frame[4..]);
        Command command;
        try
        {
            command = Command.Parser.ParseFrom(frame[Overhead..]);
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new CorruptRecordException($"record {index} is not a command: {ex.Message}", ex);
        }

        if (command.CommandCase == Command.CommandOneofCase.None)
        {
            // A newer version wrote a command this one does not know (or the bytes are damaged): applying the rest of
            // the log without it would build a different state than the writer had.
            throw new CorruptRecordException($"record {index} holds no command this version knows");
        }

        return new IndexedCommand(index, command);
    }
}
