using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Dapr.Profiler.Model;
using Dapr.Profiler.Protos.Pprof;

namespace Dapr.Profiler.Cli;

/// <summary>
/// <c>dprof bench decode</c>: throughput of the ingest decode path (gunzip, parse, validate, normalise into
/// series) over the real-profile corpus, next to plain Google.Protobuf parsing of the same bytes.
/// </summary>
internal static class DecodeBench
{
    public static int Run(Arguments args, TextWriter output)
    {
        var dirs = args.Option("corpus") is { } given ? [given] : CorpusLocator.FindDefaultWithBench();
        var dir = string.Join(", ", dirs);
        var seconds = args.LongOption("seconds") ?? 3;
        if (seconds <= 0)
        {
            throw new UsageException("--seconds must be positive");
        }

        var files = dirs.SelectMany(d => Directory.GetFiles(d, "*.pb.gz")).Order(StringComparer.Ordinal).ToArray();
        if (files.Length == 0)
        {
            throw new UsageException($"no *.pb.gz profiles in {dir}");
        }

        var gzipped = files.Select(File.ReadAllBytes).ToArray();
        var raw = gzipped.Select(g => Gzip.Decompress(g, long.MaxValue)).ToArray();
        var rawBytes = raw.Sum(r => (long)r.Length);
        var gzBytes = gzipped.Sum(g => (long)g.Length);
        var name = IngestName.Parse("bench{env=bench}");
        var now = DateTimeOffset.UtcNow;

        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"corpus: {files.Length} profiles, {rawBytes} bytes uncompressed, {gzBytes} bytes gzipped ({dir})"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"machine: {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{"path",-40} {"MB/s",10} {"profiles/s",12}"));

        var floor = Measure(output, "protobuf parse (raw bytes, the floor)", raw, rawBytes, seconds, i => Profile.Parser.ParseFrom(raw[i]).Sample.Count);
        var gunzip = Measure(output, "gunzip + protobuf parse", raw, rawBytes, seconds, i => Profile.Parser.ParseFrom(Gzip.Decompress(gzipped[i], long.MaxValue)).Sample.Count);
        Measure(output, "decode + validate (ours)", raw, rawBytes, seconds, i => PprofDecoder.Decode(gzipped[i]).Sample.Count);
        var ours = Measure(output, "decode + validate + normalise (ours)", raw, rawBytes, seconds, i =>
        {
            var profile = PprofDecoder.Decode(gzipped[i]);
            var labels = IngestLabels.ForPprof(profile, name, "gospy", null);
            return SeriesNormalizer.Default.Normalize(profile, labels, 0, now).Count;
        });

        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ratio ours / (gunzip + parse): {ours / gunzip:0.00}"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ratio ours / raw parse:        {ours / floor:0.00}"));
        return 0;
    }

    /// <summary>Runs the action over the corpus for the given time after a warm-up; returns profiles per second.</summary>
    private static double Measure(TextWriter output, string label, byte[][] corpus, long corpusBytes, long seconds, Func<int, int> action)
    {
        var sink = 0L;
        var warmup = Stopwatch.StartNew();
        while (warmup.Elapsed < TimeSpan.FromSeconds(Math.Min(1, seconds)))
        {
            for (var i = 0; i < corpus.Length; i++)
            {
                sink += action(i);
            }
        }

        var rounds = 0L;
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(seconds))
        {
            for (var i = 0; i < corpus.Length; i++)
            {
                sink += action(i);
            }

            rounds++;
        }

        var elapsed = watch.Elapsed.TotalSeconds;
        var profilesPerSecond = rounds * corpus.Length / elapsed;
        var mbPerSecond = rounds * corpusBytes / elapsed / (1024 * 1024);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{label,-40} {mbPerSecond,10:0.0} {profilesPerSecond,12:0}"));
        GC.KeepAlive(sink);
        return profilesPerSecond;
    }
}

/// <summary>Finds the committed real-profile corpus from the working directory or the tool's location.</summary>
internal static class CorpusLocator
{
    public static string FindDefault()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var path = Path.Combine(dir.FullName, "tests", "testdata", "profiles");
                if (Directory.Exists(path))
                {
                    return path;
                }
            }
        }

        throw new UsageException("the corpus (tests/testdata/profiles) was not found; pass --corpus DIR");
    }

    /// <summary>The corpus plus the extra real profiles kept for benchmarks (tests/testdata/bench).</summary>
    public static string[] FindDefaultWithBench()
    {
        var profiles = FindDefault();
        var bench = Path.Combine(Path.GetDirectoryName(profiles)!, "bench");
        return Directory.Exists(bench) ? [profiles, bench] : [profiles];
    }
}
