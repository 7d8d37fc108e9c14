using Dapr.Profiler.Model;
using Dapr.Profiler.Protos.Pprof;

namespace Dapr.Profiler.Cli.Chaos;

/// <summary>The repository's corpus profiles (tests/testdata/profiles), decoded, in file-name order.</summary>
internal static class ChaosCorpus
{
    public static IReadOnlyList<(string File, Profile Profile)> Load(string? directory)
    {
        var dir = directory ?? CorpusLocator.FindDefault();
        var profiles = Directory.GetFiles(dir, "*.pb.gz")
            .Order(StringComparer.Ordinal)
            .Select(path => (Path.GetFileName(path), PprofDecoder.Decode(File.ReadAllBytes(path))))
            .ToList();
        return profiles.Count > 0 ? profiles : throw new UsageException($"no *.pb.gz profiles in {dir}");
    }

    /// <summary>The CPU profiles, encoded without <c>time_nanos</c> (see <see cref="QueryBench.Body"/>).</summary>
    public static IReadOnlyList<byte[]> CpuTemplates(IReadOnlyList<(string File, Profile Profile)> corpus)
    {
        var cpu = corpus.Where(p => p.File.Contains("cpu", StringComparison.Ordinal)).Select(p =>
        {
            var copy = p.Profile.Clone();
            copy.TimeNanos = 0;
            return Google.Protobuf.MessageExtensions.ToByteArray(copy);
        }).ToList();
        return cpu.Count > 0 ? cpu : throw new UsageException("the corpus has no CPU profile (a file name containing \"cpu\") for the baseline");
    }
}
