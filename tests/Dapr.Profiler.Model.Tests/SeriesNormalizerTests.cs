using Dapr.Profiler.Protos.Pprof;
using Dapr.Profiler.TestKit;

namespace Dapr.Profiler.Model.Tests;

public sealed class SeriesNormalizerTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_795_240_000);

    [Fact]
    public void GoCpuProfile_ViaIngest_BecomesTwoProcessCpuSeries()
    {
        var profile = PprofDecoder.Decode(Corpus.ReadProfile("go-cpu.pb.gz"));
        var name = IngestName.Parse("checkout{env=prod,otel.scope.name=pyroscope/go}");
        var labels = IngestLabels.ForPprof(profile, name, "gospy", null);

        var series = SeriesNormalizer.Default.Normalize(profile, labels, 0, Now);

        Assert.Equal(
            ["process_cpu:cpu:nanoseconds:cpu:nanoseconds", "process_cpu:samples:count:cpu:nanoseconds"],
            series.Select(s => s.Type.Id).Order(StringComparer.Ordinal));
        var cpu = series.Single(s => s.Type.SampleType == "cpu");
        Assert.Equal("checkout", cpu.Labels.Get("service_name"));
        Assert.Equal("checkout", cpu.Labels.Get("__service_name__"));
        Assert.Equal("pyroscope/go", cpu.Labels.Get("otel_scope_name"));
        Assert.Null(cpu.Labels.Get("otel.scope.name"));
        Assert.Equal("gospy", cpu.Labels.Get("pyroscope_spy"));
        Assert.Equal("process_cpu", cpu.Labels.Get("__name__"));
        Assert.Equal("cpu", cpu.Labels.Get("__type__"));
        Assert.Equal("nanoseconds", cpu.Labels.Get("__unit__"));
        Assert.Equal("cpu", cpu.Labels.Get("__period_type__"));
        Assert.Null(cpu.Labels.Get("__delta__"));
        Assert.Equal(Corpus.Expect("go-cpu.pb.gz").TimeNanos, cpu.TimestampNanos);
        Assert.Same(series[0].Profile, series[1].Profile);
    }

    [Theory]
    [InlineData("go-heap.pb.gz", "memory:alloc_objects:count:space:bytes memory:alloc_space:bytes:space:bytes memory:inuse_objects:count:space:bytes memory:inuse_space:bytes:space:bytes")]
    [InlineData("go-goroutine.pb.gz", "goroutines:goroutine:count:goroutine:count")]
    [InlineData("go-mutex.pb.gz", "mutex:contentions:count:contentions:count mutex:delay:nanoseconds:contentions:count")]
    [InlineData("node-wall.pb.gz", "wall:cpu:nanoseconds:wall:nanoseconds wall:samples:count:wall:nanoseconds wall:wall:nanoseconds:wall:nanoseconds")]
    [InlineData("node-heap.pb.gz", "memory:inuse_objects:count:inuse_space:bytes memory:inuse_space:bytes:inuse_space:bytes")]
    public void RealProfiles_GetPyroscopesProfileTypeIds(string file, string expectedIds)
    {
        var profile = PprofDecoder.Decode(Corpus.ReadProfile(file));
        var labels = IngestLabels.ForPprof(profile, IngestName.Parse("app"), "unknown", null);

        var series = SeriesNormalizer.Default.Normalize(profile, labels, 0, Now);

        Assert.Equal(expectedIds.Split(' '), series.Select(s => s.Type.Id).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void MissingServiceName_BecomesUnknownService()
    {
        var profile = PprofDecoderTests.SmallProfile();
        var series = SeriesNormalizer.Default.Normalize(profile, [new("__name__", "process_cpu")], 0, Now);

        Assert.Equal("unknown_service", Assert.Single(series).Labels.Get("service_name"));
    }

    [Fact]
    public void ProfileWithoutTime_TakesTheRequestTime_AndOneIn1970IsTreatedAsMissing()
    {
        var from = Now.AddMinutes(-5);
        var fromNanos = from.ToUnixTimeMilliseconds() * 1_000_000;
        var profile = PprofDecoderTests.SmallProfile();
        profile.TimeNanos = 1_700_000_000; // seconds sent as nanoseconds: a time in 1970

        var series = SeriesNormalizer.Default.Normalize(profile, [new("__name__", "cpu"), new("service_name", "a")], fromNanos, Now);

        Assert.Equal(fromNanos, series[0].TimestampNanos);
    }

    [Fact]
    public void ProfileFromTheFuture_IsRejected()
    {
        var profile = PprofDecoderTests.SmallProfile();
        profile.TimeNanos = Now.AddHours(1).ToUnixTimeMilliseconds() * 1_000_000;

        var error = Assert.Throws<InvalidProfileException>(() =>
            SeriesNormalizer.Default.Normalize(profile, [new("__name__", "cpu"), new("service_name", "a")], 0, Now));
        Assert.Contains("outside of the ingestion window", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ZeroAndNegativeSamples_AreDropped_AndAnAllZeroTypeHasNoSeries()
    {
        var profile = PprofDecoderTests.SmallProfile();
        profile.SampleType.Add(new Dapr.Profiler.Protos.Pprof.ValueType { Type = 3, Unit = 4 });
        profile.Sample[0].Value.Add(0);
        profile.Sample[1].Value.Add(0);
        profile.Sample.Add(new Sample { LocationId = { 1 }, Value = { -5, 0 } });

        var series = SeriesNormalizer.Default.Normalize(profile, [new("__name__", "process_cpu"), new("service_name", "a")], 0, Now);

        var only = Assert.Single(series);
        Assert.Equal("samples", only.Type.SampleType);
        Assert.Equal(2, only.Profile.Sample.Count);
    }

    [Fact]
    public void SampleStringLabels_SplitTheProfileIntoSeries_ButSpanIdsStayOnSamples()
    {
        var profile = PprofDecoderTests.SmallProfile();
        var strings = profile.StringTable;
        strings.Add(["thread", "worker-1", "span_id", "abc"]);
        var thread = strings.Count - 4;
        profile.Sample[0].Label.Add(new Label { Key = thread, Str = thread + 1 });
        profile.Sample[1].Label.Add(new Label { Key = thread + 2, Str = thread + 3 });

        var series = SeriesNormalizer.Default.Normalize(profile, [new("__name__", "cpu"), new("service_name", "a")], 0, Now);

        Assert.Equal(2, series.Count);
        Assert.Equal(["", "worker-1"], series.Select(s => s.Labels.Get("thread") ?? string.Empty).Order(StringComparer.Ordinal));
        Assert.All(series, s => Assert.Equal(1, s.SampleCount));
        Assert.Same(series[0].Profile, series[1].Profile);
    }

    [Fact]
    public void ManyDistinctSampleLabels_ShareOneProfile_AndTooManyAreRejectedQuickly()
    {
        Profile Labelled(int count)
        {
            var profile = PprofDecoderTests.SmallProfile();
            profile.StringTable.Add("request-path");
            var key = profile.StringTable.Count - 1;
            profile.Sample.Clear();
            for (var i = 0; i < count; i++)
            {
                profile.StringTable.Add("/item/" + i);
                profile.Sample.Add(new Sample { LocationId = { 2, 1 }, Value = { 1 }, Label = { new Label { Key = key, Str = profile.StringTable.Count - 1 } } });
            }

            return profile;
        }

        var series = SeriesNormalizer.Default.Normalize(Labelled(900), [new("__name__", "cpu"), new("service_name", "a")], 0, Now);
        Assert.Equal(900, series.Count);
        Assert.All(series, s => Assert.Same(series[0].Profile, s.Profile));
        Assert.Equal("/item/17", series.Single(s => s.SampleIndexes![0] == 17).Labels.Get("request_path"));

        var error = Assert.Throws<ProfileTooLargeException>(() =>
            SeriesNormalizer.Default.Normalize(Labelled(16_000), [new("__name__", "cpu"), new("service_name", "a")], 0, Now));
        Assert.Equal(nameof(NormalizationOptions.MaxSeriesPerProfile), error.LimitName);
    }

    [Fact]
    public void PushedLabelsReservedForSeries_AreIgnored()
    {
        var series = SeriesNormalizer.Default.Normalize(
            PprofDecoderTests.SmallProfile(),
            [new("__name__", "process_cpu"), new("service_name", "a"), new("__type__", "fake"), new("__profile_type__", "fake")],
            0,
            Now);

        var only = Assert.Single(series);
        Assert.Equal("samples", only.Labels.Get("__type__"));
        Assert.Equal(only.Type.Id, only.Labels.Get("__profile_type__"));
    }

    [Fact]
    public void SampleLabelClashingWithADottedSeriesLabel_LosesToTheSeriesLabel()
    {
        var profile = PprofDecoderTests.SmallProfile();
        profile.StringTable.Add(["otel.scope.name", "from-sample", "__unit__", "x"]);
        var key = profile.StringTable.Count - 4;
        profile.Sample[0].Label.Add(new Label { Key = key, Str = key + 1 });
        profile.Sample[1].Label.Add(new Label { Key = key + 2, Str = key + 3 });

        var series = SeriesNormalizer.Default.Normalize(profile, [new("__name__", "cpu"), new("otel.scope.name", "pushed")], 0, Now);

        var only = Assert.Single(series);
        Assert.Equal("pushed", only.Labels.Get("otel_scope_name"));
        Assert.Equal("count", only.Labels.Get("__unit__"));
    }

    [Theory]
    [InlineData("1abc", "invalid label name '1abc'")]
    [InlineData("a-b", "invalid label name 'a-b'")]
    public void InvalidLabelNames_AreRejected(string name, string message)
    {
        var error = Assert.Throws<InvalidLabelsException>(() =>
            SeriesNormalizer.Default.NormalizeLabels([new("__name__", "cpu"), new(name, "v")]));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LabelLimits_NameTheLimit()
    {
        var normalizer = new SeriesNormalizer(new NormalizationOptions { MaxLabelNamesPerSeries = 3, MaxLabelValueLength = 8 });
        var tooMany = Assert.Throws<InvalidLabelsException>(() =>
            normalizer.NormalizeLabels([new("__name__", "cpu"), new("a", "1"), new("b", "2"), new("c", "3")]));
        Assert.Contains("has 5 label names; limit 3", tooMany.Message, StringComparison.Ordinal);

        var tooLong = Assert.Throws<InvalidLabelsException>(() =>
            normalizer.NormalizeLabels([new("__name__", "cpu"), new("a", "123456789")]));
        Assert.Contains("label value too long", tooLong.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DotsThatCollideAfterSanitising_WithDifferentValues_AreRejected()
    {
        var error = Assert.Throws<InvalidLabelsException>(() =>
            SeriesNormalizer.Default.NormalizeLabels([new("__name__", "cpu"), new("a_b", "1"), new("a.b", "2")]));
        Assert.Contains("duplicate label name 'a_b' after label name sanitization from 'a.b'", error.Message, StringComparison.Ordinal);

        // The same value under both spellings is one label.
        var merged = SeriesNormalizer.Default.NormalizeLabels([new("__name__", "cpu"), new("a_b", "1"), new("a.b", "1")]);
        Assert.Equal("1", merged.Get("a_b"));
    }

    [Fact]
    public void TooManySamples_IsTooLarge()
    {
        var normalizer = new SeriesNormalizer(new NormalizationOptions { MaxSamplesPerProfile = 1 });
        var error = Assert.Throws<ProfileTooLargeException>(() =>
            normalizer.Normalize(PprofDecoderTests.SmallProfile(), [new("__name__", "cpu")], 0, Now));
        Assert.Equal(nameof(NormalizationOptions.MaxSamplesPerProfile), error.LimitName);
    }
}
