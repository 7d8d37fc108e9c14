using Dapr.Profiler.TestKit;

namespace Dapr.Profiler.Model.Tests;

/// <summary>Real profiles decode to what an independent reader (pprof-format in JavaScript) saw in them.</summary>
public sealed class CorpusDecodeTests
{
    public static TheoryData<string> PprofFiles() => new(Corpus.PprofFiles());

    [Theory]
    [MemberData(nameof(PprofFiles))]
    public void Decode_RealProfile_MatchesIndependentReader(string file)
    {
        var expected = Corpus.Expect(file);

        var profile = PprofDecoder.Decode(Corpus.ReadProfile(file));

        var strings = profile.StringTable;
        Assert.Equal(expected.SampleTypes, profile.SampleType.Select(t => (strings[(int)t.Type], strings[(int)t.Unit])));
        Assert.Equal(expected.SampleCount, profile.Sample.Count);
        Assert.Equal(expected.Period, profile.Period);
        Assert.Equal(expected.DurationNanos, profile.DurationNanos);
        if (expected.PeriodType is { } periodType)
        {
            Assert.Equal(periodType, (strings[(int)profile.PeriodType.Type], strings[(int)profile.PeriodType.Unit]));
        }

        for (var i = 0; i < profile.SampleType.Count; i++)
        {
            var type = strings[(int)profile.SampleType[i].Type];
            Assert.Equal(expected.Totals[type], profile.Sample.Sum(s => s.Value[i]));
        }
    }

    [Fact]
    public void Decode_GoCpuProfile_HasRealTimeAndGoFunctionNames()
    {
        var profile = PprofDecoder.Decode(Corpus.ReadProfile("go-cpu.pb.gz"));

        Assert.Equal(Corpus.Expect("go-cpu.pb.gz").TimeNanos, profile.TimeNanos);
        Assert.Contains("main.fib", profile.StringTable);
        Assert.NotEmpty(profile.Mapping);
    }
}
