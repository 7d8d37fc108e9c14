using System.Diagnostics;
using System.IO.Compression;
using Dapr.Profiler.Model;

namespace Dapr.Profiler.Block.Tests;

public sealed class SizeTests(ITestOutputHelper output)
{
    private const long Second = 1_000_000_000L;

    /// <summary>
    /// The Go CPU corpus, cycled to at least 12 profiles of one service (one every 10 s). Set BLOCK_SIZE_CORPUS to a
    /// directory with more go-cpu*.pb.gz files to measure on a larger corpus.
    /// </summary>
    private static List<CorpusProfile> GoCpuProfiles(out int distinct)
    {
        var corpus = TestData.Load("go-cpu*.pb.gz").ToList();
        var extra = Environment.GetEnvironmentVariable("BLOCK_SIZE_CORPUS");
        if (!string.IsNullOrEmpty(extra) && Directory.Exists(extra))
        {
            foreach (var file in Directory.GetFiles(extra, "go-cpu*.pb.gz", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                var bytes = File.ReadAllBytes(file);
                corpus.Add(new CorpusProfile(file, bytes, PprofDecoder.Decode(bytes)));
            }
        }

        distinct = corpus.Count;
        var result = new List<CorpusProfile>();
        for (var i = 0; corpus.Count > 0 && i < Math.Max(12, corpus.Count); i++)
        {
            result.Add(corpus[i % corpus.Count]);
        }

        return result;
    }

    private static (byte[] Bytes, Protos.Block.BlockMeta Meta) Write(List<CorpusProfile> profiles, BlockWriterOptions? options = null)
    {
        var writer = new BlockWriter(options);
        for (var i = 0; i < profiles.Count; i++)
        {
            foreach (var s in TestData.Series(profiles[i].Profile, "checkout", "process_cpu", i * 10 * Second))
            {
                writer.Add("tenant", s);
            }
        }

        return writer.Build(Ulid.NewUlid().ToString(), 0, 0, "tests");
    }

    [Fact]
    public void GoCpuCorpus_BlockIsSmallerThanTheGzippedProfiles()
    {
        var profiles = GoCpuProfiles(out var distinct);
        Assert.SkipWhen(profiles.Count == 0, "no Go CPU profiles in tests/testdata/profiles");

        var gzipped = profiles.Sum(p => (long)p.Compressed.Length);
        var (bytes, meta) = Write(profiles);
        var dataset = Assert.Single(meta.Datasets);
        output.WriteLine($"{profiles.Count} Go CPU profiles ({distinct} distinct files), 2 series each");
        output.WriteLine($"gzipped pprof: {gzipped} bytes, {gzipped / profiles.Count} per profile");
        output.WriteLine($"block:         {bytes.Length} bytes, {bytes.Length / profiles.Count} per profile ({100.0 * bytes.Length / gzipped:F1}% of gzip)");
        output.WriteLine($"  sections: series {dataset.SectionSizes[0]}, profiles {dataset.SectionSizes[1]}, symbols {dataset.SectionSizes[2]}; metadata + framing {bytes.Length - (long)dataset.Size}");
        foreach (var profile in profiles.Take(distinct))
        {
            var (single, _) = Write([profile]);
            output.WriteLine($"  one profile {Path.GetFileName(profile.File)}: gzip {profile.Compressed.Length}, block {single.Length}");
        }

        Assert.True(bytes.Length < gzipped, $"block {bytes.Length} bytes >= gzipped inputs {gzipped} bytes");
    }

    [Fact]
    public void Codecs_SizeAndSpeed_AreLogged()
    {
        var profiles = GoCpuProfiles(out _);
        var all = TestData.LoadAll();
        Assert.SkipWhen(profiles.Count == 0, "no corpus");
        var settings = new (BlockCompression Codec, int Level)[]
        {
            (BlockCompression.None, 0), (BlockCompression.Deflate, 1), (BlockCompression.Deflate, 6), (BlockCompression.Deflate, 9),
            (BlockCompression.Brotli, 1), (BlockCompression.Brotli, 3), (BlockCompression.Brotli, 4), (BlockCompression.Brotli, 5),
            (BlockCompression.Brotli, 6), (BlockCompression.Brotli, 9), (BlockCompression.Brotli, 11),
        };

        var segment = new List<CorpusProfile>([.. profiles, .. all]);
        output.WriteLine($"segment of {segment.Count} profiles; gzip total {segment.Sum(p => p.Compressed.Length)} bytes");
        output.WriteLine("codec      level    bytes   write ms  read ms");
        foreach (var (codec, level) in settings.Concat(settings).Concat(settings))
        {
            // Warm up every path (tiered JIT) before timing any.
            var warm = Write(segment, new BlockWriterOptions { Compression = codec, CompressionLevel = level }).Bytes;
            var warmReader = BlockReader.Open(warm);
            _ = warmReader.OpenDataset(warmReader.Meta.Datasets[0]).BuildTree();
        }

        byte[]? reference = null;
        foreach (var (codec, level) in settings)
        {
            var options = new BlockWriterOptions { Compression = codec, CompressionLevel = level };
            var bytes = Write(segment, options).Bytes;
            var write = Stopwatch.StartNew();
            for (var i = 0; i < 5; i++)
            {
                bytes = Write(segment, options).Bytes;
            }

            write.Stop();
            var read = Stopwatch.StartNew();
            StackTree? tree = null;
            for (var i = 0; i < 5; i++)
            {
                var reader = BlockReader.Open(bytes);
                tree = reader.OpenDataset(reader.Meta.Datasets[0]).BuildTree(TestData.TypeIs("process_cpu:cpu:nanoseconds:cpu:nanoseconds"));
            }

            read.Stop();
            reference ??= bytes;
            var expected = BlockReader.Open(reference);
            Assert.True(expected.OpenDataset(expected.Meta.Datasets[0]).BuildTree(TestData.TypeIs("process_cpu:cpu:nanoseconds:cpu:nanoseconds")).TreeEquals(tree!));
            output.WriteLine($"{codec,-10} {level,5} {bytes.Length,8} {write.Elapsed.TotalMilliseconds / 5,10:F2} {read.Elapsed.TotalMilliseconds / 5,8:F2}");
        }

        using var gzip = new MemoryStream();
        using (var stream = new GZipStream(gzip, CompressionLevel.Optimal, leaveOpen: true))
        {
            stream.Write(reference);
        }

        output.WriteLine($"(the uncompressed block gzipped whole: {gzip.Length} bytes)");
    }
}
