using Dapr.Profiler.Protos.Pprof;
using Google.Protobuf;

namespace Dapr.Profiler.Model.Tests;

/// <summary>
/// Writes a profile with every repeated scalar unpacked (one tag per element), as proto2-era encoders did.
/// Google.Protobuf always writes proto3 scalars packed, so this is the only way to produce such bytes.
/// </summary>
internal static class UnpackedEncoding
{
    public static byte[] Encode(Profile profile)
    {
        using var stream = new MemoryStream();
        var output = new CodedOutputStream(stream);
        foreach (var type in profile.SampleType)
        {
            WriteMessage(output, 1, type);
        }

        foreach (var sample in profile.Sample)
        {
            output.WriteTag(2, WireFormat.WireType.LengthDelimited);
            output.WriteBytes(ByteString.CopyFrom(EncodeSample(sample)));
        }

        foreach (var mapping in profile.Mapping)
        {
            WriteMessage(output, 3, mapping);
        }

        foreach (var location in profile.Location)
        {
            WriteMessage(output, 4, location);
        }

        foreach (var function in profile.Function)
        {
            WriteMessage(output, 5, function);
        }

        foreach (var text in profile.StringTable)
        {
            output.WriteTag(6, WireFormat.WireType.LengthDelimited);
            output.WriteString(text);
        }

        WriteVarint(output, 9, profile.TimeNanos);
        WriteVarint(output, 10, profile.DurationNanos);
        if (profile.PeriodType is not null)
        {
            WriteMessage(output, 11, profile.PeriodType);
        }

        WriteVarint(output, 12, profile.Period);
        foreach (var comment in profile.Comment)
        {
            output.WriteTag(13, WireFormat.WireType.Varint);
            output.WriteInt64(comment);
        }

        output.Flush();
        return stream.ToArray();
    }

    private static byte[] EncodeSample(Sample sample)
    {
        using var stream = new MemoryStream();
        var output = new CodedOutputStream(stream);
        foreach (var id in sample.LocationId)
        {
            output.WriteTag(1, WireFormat.WireType.Varint);
            output.WriteUInt64(id);
        }

        foreach (var value in sample.Value)
        {
            output.WriteTag(2, WireFormat.WireType.Varint);
            output.WriteInt64(value);
        }

        foreach (var label in sample.Label)
        {
            WriteMessage(output, 3, label);
        }

        output.Flush();
        return stream.ToArray();
    }

    private static void WriteMessage(CodedOutputStream output, int field, IMessage message)
    {
        output.WriteTag(field, WireFormat.WireType.LengthDelimited);
        output.WriteMessage(message);
    }

    private static void WriteVarint(CodedOutputStream output, int field, long value)
    {
        if (value != 0)
        {
            output.WriteTag(field, WireFormat.WireType.Varint);
            output.WriteInt64(value);
        }
    }
}
