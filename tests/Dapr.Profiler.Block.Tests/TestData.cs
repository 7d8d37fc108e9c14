using Dapr.Profiler.Model;
using Dapr.Profiler.Protos.Pprof;

namespace Dapr.Profiler.Block.Tests;

/// <summary>One profile file of the corpus in tests/testdata/profiles.</summary>
internal sealed record CorpusProfile(string File, byte[] Compressed, Profile Profile);

/// <summary>Loads real profiles and turns profiles into series the way the distributor labels them.</summary>
internal static class TestData
{
    public static string ProfilesDirectory => Path.Combine(AppContext.BaseDirectory, "testdata", "profiles");

    /// <summary>The profiles whose file name matches <paramref name="pattern"/> (e.g. <c>go-cpu*.pb.gz</c>), by name.</summary>
    public static IReadOnlyList<CorpusProfile> Load(string pattern)
    {
        if (!Directory.Exists(ProfilesDirectory))
        {
            return [];
        }

        var files = Directory.GetFiles(ProfilesDirectory, pattern);
        Array.Sort(files, StringComparer.Ordinal);
        var result = new List<CorpusProfile>(files.Length);
        foreach (var file in files)
        {
            var bytes = File.ReadAllBytes(file);
            result.Add(new CorpusProfile(Path.GetFileName(file), bytes, PprofDecoder.Decode(bytes)));
        }

        return result;
    }

    /// <summary>Every Go and Node pprof of the corpus.</summary>
    public static IReadOnlyList<CorpusProfile> LoadAll() => [.. Load("go-*.pb.gz"), .. Load("node-*.pb.gz")];

    /// <summary>A Pyroscope-like name for a corpus file's profile type.</summary>
    public static string TypeName(string file) => file switch
    {
        _ when file.StartsWith("go-cpu", StringComparison.Ordinal) => "process_cpu",
        _ when file.StartsWith("go-heap", StringComparison.Ordinal) || file.StartsWith("go-allocs", StringComparison.Ordinal) => "memory",
        _ when file.StartsWith("go-mutex", StringComparison.Ordinal) => "mutex",
        _ when file.StartsWith("go-goroutine", StringComparison.Ordinal) => "goroutines",
        _ when file.StartsWith("node-wall", StringComparison.Ordinal) => "wall",
        _ when file.StartsWith("node-heap", StringComparison.Ordinal) => "memory",
        _ => "unknown",
    };

    /// <summary>One series per sample type, sharing the profile, labelled like the distributor does.</summary>
    public static List<ProfileSeries> Series(Profile profile, string service, string name, long timestampNanos, params LabelPair[] extra)
    {
        var result = new List<ProfileSeries>(profile.SampleType.Count);
        var strings = profile.StringTable;
        var periodType = profile.PeriodType is null ? string.Empty : strings[(int)profile.PeriodType.Type];
        var periodUnit = profile.PeriodType is null ? string.Empty : strings[(int)profile.PeriodType.Unit];
        for (var i = 0; i < profile.SampleType.Count; i++)
        {
            var type = new ProfileTypeId(
                name,
                strings[(int)profile.SampleType[i].Type],
                strings[(int)profile.SampleType[i].Unit],
                periodType,
                periodUnit);
            var labels = new List<LabelPair>(extra)
            {
                new(LabelNames.ServiceName, service),
                new(LabelNames.MetricName, name),
                new(LabelNames.ProfileType, type.Id),
            };
            result.Add(new ProfileSeries(LabelSet.Create(labels), type, profile, i, timestampNanos));
        }

        return result;
    }

    public static Func<LabelSet, bool> TypeIs(string profileTypeId) =>
        labels => labels.Get(LabelNames.ProfileType) == profileTypeId;

    /// <summary>The sum of one value column over all samples.</summary>
    public static long Total(Profile profile, int valueIndex)
    {
        long total = 0;
        foreach (var sample in profile.Sample)
        {
            total += sample.Value[valueIndex];
        }

        return total;
    }

    /// <summary>Writes series into a new block and opens it in memory.</summary>
    public static (byte[] Bytes, BlockReader Reader) WriteAndOpen(IEnumerable<(string Tenant, ProfileSeries Series)> series, BlockWriterOptions? options = null, int level = 0)
    {
        var writer = new BlockWriter(options);
        foreach (var (tenant, s) in series)
        {
            writer.Add(tenant, s);
        }

        var (bytes, _) = writer.Build(Ulid.NewUlid().ToString(), 1, level, "tests");
        return (bytes, BlockReader.Open(bytes));
    }
}
