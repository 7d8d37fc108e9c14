using Dapr.Profiler.Protos.Pprof;
using Dapr.Profiler.TestKit;
using Google.Protobuf;

namespace Dapr.Profiler.Server.FunctionalTests.Support;

/// <summary>Corpus profiles prepared for pushing: unique timestamps, and how many series each one becomes.</summary>
public static class CorpusProfiles
{
    /// <summary>Profile type ids a Pyroscope server derives from each corpus profile (wire-formats §2).</summary>
    public static IReadOnlyList<string> ExpectedTypes(string corpusFile) => corpusFile switch
    {
        "go-cpu.pb.gz" or "go-cpu-2.pb.gz" or "go-cpu-3.pb.gz" or "go-cpu-4.pb.gz" =>
            ["process_cpu:cpu:nanoseconds:cpu:nanoseconds", "process_cpu:samples:count:cpu:nanoseconds"],
        "go-heap.pb.gz" or "go-allocs.pb.gz" =>
        [
            "memory:alloc_objects:count:space:bytes",
            "memory:alloc_space:bytes:space:bytes",
            "memory:inuse_objects:count:space:bytes",
            "memory:inuse_space:bytes:space:bytes",
        ],
        "node-wall.pb.gz" or "node-0.6.1-multipart.bin" =>
        [
            "wall:cpu:nanoseconds:wall:nanoseconds",
            "wall:samples:count:wall:nanoseconds",
            "wall:wall:nanoseconds:wall:nanoseconds",
        ],
        "node-heap.pb.gz" => ["memory:inuse_objects:count:inuse_space:bytes", "memory:inuse_space:bytes:inuse_space:bytes"],
        _ => throw new ArgumentOutOfRangeException(nameof(corpusFile), corpusFile, "no expected types for this file"),
    };

    /// <summary>
    /// The number of series (profile rows) one push of the file becomes: one per sample type with a non-zero total,
    /// since the corpus profiles carry no string sample labels (checked here by decoding the profile
    /// independently; numeric labels such as the heap's <c>bytes</c> do not split series).
    /// </summary>
    public static int SeriesPerProfile(string corpusFile)
    {
        var profile = Decode(Corpus.ReadProfile(corpusFile));
        Assert.DoesNotContain(profile.Sample, s => s.Label.Any(l => l.Str != 0));
        var expectation = Corpus.Expect(corpusFile);
        var nonZero = expectation.Totals.Count(t => t.Value != 0);
        Assert.Equal(ExpectedTypes(corpusFile).Count, nonZero);
        return nonZero;
    }

    /// <summary>The corpus profile with its <c>time_nanos</c> replaced, gzipped again (what a client's next upload looks like).</summary>
    public static byte[] WithTimestamp(string corpusFile, long timeNanos)
    {
        var profile = Decode(Corpus.ReadProfile(corpusFile));
        profile.TimeNanos = timeNanos;
        return IngestRequests.Gzip(profile.ToByteArray());
    }

    public static Profile Decode(byte[] pprof)
    {
        ArgumentNullException.ThrowIfNull(pprof);
        var raw = pprof.Length > 1 && pprof[0] == 0x1f && pprof[1] == 0x8b ? IngestRequests.Gunzip(pprof) : pprof;
        return Profile.Parser.ParseFrom(raw);
    }
}
