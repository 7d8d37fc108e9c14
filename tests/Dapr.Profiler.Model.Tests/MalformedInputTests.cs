using System.IO.Compression;
using Dapr.Profiler.TestKit;
using FsCheck;
using FsCheck.Fluent;

namespace Dapr.Profiler.Model.Tests;

/// <summary>Bad bytes are typed errors with bounded memory; nothing else escapes the decoder.</summary>
public sealed class MalformedInputTests
{
    [Fact]
    public void TruncatedProfiles_AreTypedErrorsOrValidPrefixes()
    {
        var gzipped = Corpus.ReadProfile("go-cpu.pb.gz");
        var raw = Gzip.Decompress(gzipped, long.MaxValue);
        var failures = 0;
        for (var cut = 1; cut < raw.Length; cut += 37)
        {
            failures += DecodeOrTypedError(raw[..cut]) ? 0 : 1;
        }

        // Most cuts land inside a field; those must be reported, not decoded into garbage.
        Assert.True(failures > raw.Length / 37 / 2, $"only {failures} truncations were rejected");
        for (var cut = 10; cut < gzipped.Length; cut += 101)
        {
            Assert.Throws<MalformedProfileException>(() => PprofDecoder.Decode(gzipped.AsMemory(0, cut)));
        }
    }

    [Fact]
    public void RandomBytes_AreTypedErrorsOrProfiles()
    {
        Prop.ForAll(ArbMap.Default.ArbFor<byte[]>(), bytes =>
        {
            DecodeOrTypedError(bytes);
            DecodeOrTypedError([0x1f, 0x8b, .. bytes]);
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void RandomCorruptionOfARealProfile_IsATypedErrorOrAProfile()
    {
        var raw = Gzip.Decompress(Corpus.ReadProfile("node-wall.pb.gz"), long.MaxValue);
        var gen = Gen.Choose(0, raw.Length - 1).Two().Select(t => t).ListOf().Select(l => l.ToArray());
        Prop.ForAll(gen.ToArbitrary(), edits =>
        {
            var copy = (byte[])raw.Clone();
            foreach (var (at, value) in edits)
            {
                copy[at] = (byte)value;
            }

            DecodeOrTypedError(copy);
        }).QuickCheckThrowOnFailure();
    }

    [Theory]
    [InlineData(new byte[] { 0x48, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01 }, "varint longer than 10 bytes")]
    [InlineData(new byte[] { 0x12, 0xff, 0xff, 0xff, 0xff, 0x07, 0x08, 0x01 }, "length of 2 GiB")]
    [InlineData(new byte[] { 0x32, 0xfe, 0xff, 0xff, 0xff, 0x0f, 0x41 }, "negative length")]
    [InlineData(new byte[] { 0x0f }, "invalid wire type")]
    [InlineData(new byte[] { 0x00 }, "field number zero")]
    public void HugeVarintsAndLengths_AreMalformed(byte[] bytes, string why)
    {
        var error = Assert.Throws<MalformedProfileException>(() => PprofDecoder.Decode(bytes));
        Assert.True(error.Message.StartsWith("invalid pprof protobuf", StringComparison.Ordinal), $"{why}: {error.Message}");
    }

    [Fact]
    public void DeepNesting_IsMalformed_WithoutStackOverflow()
    {
        // 200,000 nested start-group tags of an unknown field: the parser's recursion limit stops it.
        var bytes = new byte[400_000];
        for (var i = 0; i < bytes.Length; i += 2)
        {
            bytes[i] = 0xa3;
            bytes[i + 1] = 0x01;
        }

        Assert.Throws<MalformedProfileException>(() => PprofDecoder.Decode(bytes));

        // The same through nested messages: sample -> label -> ... are bounded by the schema, so nest
        // length-delimited unknown fields instead, which are skipped without recursion.
        var nested = new List<byte>();
        for (var i = 0; i < 1000; i++)
        {
            nested.InsertRange(0, [0xa2, 0x01, .. Varint(nested.Count)]);
        }

        var decoded = PprofDecoder.Decode(nested.ToArray());
        Assert.Empty(decoded.Sample);
    }

    [Fact]
    public void GzipBomb_IsTooLarge_WithBoundedMemory()
    {
        var bomb = Compress(new ZeroStream(512L * 1024 * 1024));
        Assert.True(bomb.Length < 1024 * 1024, $"the bomb is {bomb.Length} bytes");
        var options = new PprofDecoderOptions { MaxDecompressedBytes = 4 * 1024 * 1024 };

        var before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<ProfileTooLargeException>(() => PprofDecoder.Decode(bomb, options));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(4 * 1024 * 1024, error.Limit);
        Assert.Contains("MaxDecompressedBytes", error.Message, StringComparison.Ordinal);
        Assert.True(allocated < 16L * 1024 * 1024, $"decoding the bomb allocated {allocated} bytes");
    }

    [Fact]
    public void GzipBomb_AtTheDefaultLimit_StopsAt64MiB()
    {
        var bomb = Compress(new ZeroStream(256L * 1024 * 1024));

        var before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<ProfileTooLargeException>(() => PprofDecoder.Decode(bomb));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(64L * 1024 * 1024, error.Limit);
        Assert.True(allocated < 200L * 1024 * 1024, $"decoding the bomb allocated {allocated} bytes");
    }

    [Fact]
    public void GzipTrailerClaimingHugeSize_DoesNotPreallocate()
    {
        var gzipped = Corpus.ReadProfile("go-mutex.pb.gz");
        var lying = (byte[])gzipped.Clone();
        BitConverter.TryWriteBytes(lying.AsSpan(lying.Length - 4), uint.MaxValue);

        var before = GC.GetAllocatedBytesForCurrentThread();
        Assert.ThrowsAny<ProfileException>(() => PprofDecoder.Decode(lying));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 32L * 1024 * 1024);
    }

    /// <summary>Returns false when the decoder rejected the bytes with a typed error.</summary>
    private static bool DecodeOrTypedError(byte[] bytes)
    {
        try
        {
            PprofDecoder.Decode(bytes, new PprofDecoderOptions { MaxDecompressedBytes = 1024 * 1024 });
            return true;
        }
        catch (ProfileException)
        {
            return false;
        }
    }

    private static byte[] Varint(int value)
    {
        var result = new List<byte>();
        var v = (uint)value;
        while (v >= 0x80)
        {
            result.Add((byte)(v | 0x80));
            v >>= 7;
        }

        result.Add((byte)v);
        return [.. result];
    }

    private static byte[] Compress(Stream source)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            source.CopyTo(gzip, 1 << 20);
        }

        return output.ToArray();
    }

    /// <summary>A stream of zeros, so a bomb can be made without holding it in memory.</summary>
    private sealed class ZeroStream(long length) : Stream
    {
        private long _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => length;

        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = (int)Math.Min(count, length - _position);
            Array.Clear(buffer, offset, n);
            _position += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
