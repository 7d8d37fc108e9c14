using System.IO.Compression;
using Dapr.Profiler.Protos.Pprof;
using Google.Protobuf;
using ValueType = Dapr.Profiler.Protos.Pprof.ValueType;

namespace Dapr.Profiler.Model.Tests;

public sealed class PprofDecoderTests
{
    [Fact]
    public void Decode_AcceptsGzipAndRawBytesOfTheSameProfile()
    {
        var profile = SmallProfile();
        var raw = profile.ToByteArray();

        var fromRaw = PprofDecoder.Decode(raw);
        var fromGzip = PprofDecoder.Decode(GzipBytes(raw));

        Assert.Equal(profile, fromRaw);
        Assert.Equal(profile, fromGzip);
    }

    [Fact]
    public void Decode_AcceptsConcatenatedGzipMembers()
    {
        // gzip allows several members back to back; the protobuf of a profile may be split anywhere.
        var raw = SmallProfile().ToByteArray();
        var split = raw.Length / 2;
        var data = GzipBytes(raw[..split]).Concat(GzipBytes(raw[split..])).ToArray();

        Assert.Equal(SmallProfile(), PprofDecoder.Decode(data));
    }

    [Fact]
    public void Decode_RenumbersSparseIdsDensely_KeepingEveryReference()
    {
        var profile = new Profile();
        profile.StringTable.Add(["", "samples", "count", "main", "work", "/bin/app"]);
        profile.SampleType.Add(new ValueType { Type = 1, Unit = 2 });
        profile.Mapping.Add(new Mapping { Id = 900, Filename = 5 });
        profile.Function.Add(new Function { Id = 77, Name = 3 });
        profile.Function.Add(new Function { Id = 12, Name = 4 });
        profile.Location.Add(new Location { Id = 1000, MappingId = 900, Line = { new Line { FunctionId = 12 } } });
        profile.Location.Add(new Location { Id = 5, MappingId = 900, Line = { new Line { FunctionId = 77 } } });
        profile.Sample.Add(new Sample { LocationId = { 1000, 5 }, Value = { 7 } });

        var decoded = PprofDecoder.Decode(profile.ToByteArray());

        Assert.Equal([1UL, 2UL], decoded.Location.Select(l => l.Id));
        Assert.Equal([1UL, 2UL], decoded.Sample[0].LocationId);
        Assert.Equal(1UL, decoded.Location[0].MappingId);
        var leaf = decoded.Function[(int)decoded.Location[(int)decoded.Sample[0].LocationId[0] - 1].Line[0].FunctionId - 1];
        Assert.Equal("work", decoded.StringTable[(int)leaf.Name]);
        var root = decoded.Function[(int)decoded.Location[(int)decoded.Sample[0].LocationId[1] - 1].Line[0].FunctionId - 1];
        Assert.Equal("main", decoded.StringTable[(int)root.Name]);
    }

    [Fact]
    public void Decode_AcceptsUnpackedRepeatedScalars()
    {
        // Older encoders write repeated scalars one tag per element; the decoder must read both forms.
        var expected = SmallProfile();
        var unpacked = UnpackedEncoding.Encode(expected);
        Assert.NotEqual(expected.ToByteArray(), unpacked);

        Assert.Equal(expected, PprofDecoder.Decode(unpacked));
    }

    [Fact]
    public void Decode_AddsTheEmptyStringWhenTheTableIsEmpty()
    {
        var profile = new Profile { TimeNanos = 5 };
        var decoded = PprofDecoder.Decode(profile.ToByteArray());
        Assert.Equal([string.Empty], decoded.StringTable);
    }

    [Theory]
    [InlineData("string_table[0]", "first string is not empty")]
    [InlineData("refers to string 99", "function name index out of range")]
    [InlineData("has id 0", "location id zero")]
    [InlineData("refers to location id 42", "dangling location")]
    [InlineData("refers to function id 9", "dangling function")]
    [InlineData("refers to mapping id 3", "dangling mapping")]
    [InlineData("has 1 values but the profile has 2 sample types", "value count mismatch")]
    [InlineData("location id 1 is used twice", "duplicate id")]
    public void Decode_RejectsInvalidProfiles_WithAMessageNamingTheProblem(string message, string scenario)
    {
        var profile = SmallProfile();
        switch (scenario)
        {
            case "first string is not empty":
                profile.StringTable[0] = "x";
                break;
            case "function name index out of range":
                profile.Function[0].Name = 99;
                break;
            case "location id zero":
                profile.Location[0].Id = 0;
                break;
            case "dangling location":
                profile.Sample[0].LocationId.Add(42);
                break;
            case "dangling function":
                profile.Location[0].Line[0].FunctionId = 9;
                break;
            case "dangling mapping":
                profile.Location[0].MappingId = 3;
                break;
            case "value count mismatch":
                profile.SampleType.Add(new ValueType { Type = 1, Unit = 2 });
                profile.Sample[0].Value.Add(1);
                profile.Sample[1].Value.Clear();
                profile.Sample[1].Value.Add(1);
                break;
            case "duplicate id":
                profile.Location[1].Id = 1;
                break;
        }

        var error = Assert.Throws<InvalidProfileException>(() => PprofDecoder.Decode(profile.ToByteArray()));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_RawBytesLargerThanTheLimit_IsTooLarge()
    {
        var raw = SmallProfile().ToByteArray();
        var options = new PprofDecoderOptions { MaxDecompressedBytes = raw.Length - 1 };
        var error = Assert.Throws<ProfileTooLargeException>(() => PprofDecoder.Decode(raw, options));
        Assert.Equal(nameof(PprofDecoderOptions.MaxDecompressedBytes), error.LimitName);
    }

    internal static Profile SmallProfile()
    {
        var profile = new Profile
        {
            TimeNanos = 1_700_000_000_000_000_000,
            DurationNanos = 10_000_000_000,
            Period = 10_000_000,
            PeriodType = new ValueType { Type = 3, Unit = 4 },
        };
        profile.StringTable.Add(["", "samples", "count", "cpu", "nanoseconds", "main", "foo", "bar", "/bin/app"]);
        profile.SampleType.Add(new ValueType { Type = 1, Unit = 2 });
        profile.Mapping.Add(new Mapping { Id = 1, Filename = 8, MemoryStart = 0x1000, MemoryLimit = 0x9000 });
        profile.Function.Add(new Function { Id = 1, Name = 5 });
        profile.Function.Add(new Function { Id = 2, Name = 6 });
        profile.Function.Add(new Function { Id = 3, Name = 7 });
        profile.Location.Add(new Location { Id = 1, MappingId = 1, Address = 0x1100, Line = { new Line { FunctionId = 1, Line_ = 10 } } });
        profile.Location.Add(new Location { Id = 2, MappingId = 1, Address = 0x1200, Line = { new Line { FunctionId = 2, Line_ = 20 } } });
        profile.Location.Add(new Location { Id = 3, MappingId = 1, Address = 0x1300, Line = { new Line { FunctionId = 3, Line_ = 30 } } });
        profile.Sample.Add(new Sample { LocationId = { 2, 1 }, Value = { 60 } });
        profile.Sample.Add(new Sample { LocationId = { 3, 1 }, Value = { 40 } });
        return profile;
    }

    internal static byte[] GzipBytes(byte[] raw)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(raw);
        }

        return output.ToArray();
    }
}
