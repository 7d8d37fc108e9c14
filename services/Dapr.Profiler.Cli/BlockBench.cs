using System.Diagnostics;
using System.Globalization;
using Dapr.Profiler.Block;
using Dapr.Profiler.Model;

namespace Dapr.Profiler.Cli;

/// <summary>
/// <c>dprof bench block</c>: block bytes per profile against the gzipped pprof bytes of the same profiles, for a
/// segment per profile (the worst case: nothing to share) and for one block holding every profile (what
/// compaction produces), plus write and read speed.
/// </summary>
internal static class BlockBench
{
    public static int Run(Arguments args, TextWriter output)
    {
        var dirs = args.Option("corpus") is { } given ? [given] : CorpusLocator.FindDefaultWithBench();
        var files = dirs.SelectMany(d => Directory.GetFiles(d, "*.pb.gz")).Order(StringComparer.Ordinal).ToArray();
        if (files.Length == 0)
        {
            throw new UsageException($"no *.pb.gz profiles in {string.Join(", ", dirs)}");
        }

        var duration = TimeSpan.FromSeconds(args.LongOption("seconds") ?? 2);
        var gzipped = files.Select(File.ReadAllBytes).ToArray();
        var gzTotal = gzipped.Sum(g => (long)g.Length);
        var now = DateTimeOffset.UtcNow;
        var series = new List<ProfileSeries>[files.Length];
        for (var i = 0; i < files.Length; i++)
        {
            var service = Path.GetFileName(files[i]).Contains("node", StringComparison.Ordinal) ? "node-app" : "go-app";
            var profile = PprofDecoder.Decode(gzipped[i]);
            profile.TimeNanos = now.AddSeconds(-10 * (files.Length - i)).ToUnixTimeMilliseconds() * 1_000_000;
            var labels = IngestLabels.ForPprof(profile, IngestName.Parse($"{service}{{env=bench}}"), "gospy", null);
            series[i] = [.. SeriesNormalizer.Default.Normalize(profile, labels, 0, now)];
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"corpus: {files.Length} pprof profiles, {gzTotal} bytes gzipped ({string.Join(", ", dirs)})"));

        var perProfile = 0L;
        for (var i = 0; i < series.Length; i++)
        {
            var writer = new BlockWriter();
            series[i].ForEach(s => writer.Add("anonymous", s));
            perProfile += writer.Build(Ulid.NewUlid(now).ToString(), 1, 0, "bench").Bytes.Length;
        }

        var watch = Stopwatch.StartNew();
        var rounds = 0;
        byte[] block;
        do
        {
            var writer = new BlockWriter();
            foreach (var list in series)
            {
                list.ForEach(s => writer.Add("anonymous", s));
            }

            block = writer.Build(Ulid.NewUlid(now).ToString(), 1, 1, "bench").Bytes;
            rounds++;
        }
        while (watch.Elapsed < duration);
        var writeSeconds = watch.Elapsed.TotalSeconds / rounds;

        watch.Restart();
        var readRounds = 0;
        long total = 0;
        do
        {
            var reader = BlockReader.Open(block);
            foreach (var dataset in reader.Meta.Datasets)
            {
                total += reader.OpenDataset(dataset).BuildTree(null, long.MinValue, long.MaxValue).Total;
            }

            readRounds++;
        }
        while (watch.Elapsed < duration);
        var readSeconds = watch.Elapsed.TotalSeconds / readRounds;
        GC.KeepAlive(total);

        var n = (double)files.Length;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{"layout",-34} {"bytes/profile",14} {"vs gzipped pprof",17}"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{"gzipped pprof (input)",-34} {gzTotal / n,14:0} {1.0,16:P0}"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{"one block per profile",-34} {perProfile / n,14:0} {perProfile / (double)gzTotal,16:P0}"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{"one block for all profiles",-34} {block.Length / n,14:0} {block.Length / (double)gzTotal,16:P0}"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"write all into one block: {writeSeconds * 1000:0.0} ms ({n / writeSeconds:0} profiles/s); read every dataset as a flame graph: {readSeconds * 1000:0.0} ms"));
        return 0;
    }
}
