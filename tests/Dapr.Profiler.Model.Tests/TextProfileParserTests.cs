using System.Text;
using Dapr.Profiler.TestKit;

namespace Dapr.Profiler.Model.Tests;

public sealed class TextProfileParserTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_795_240_000);

    [Fact]
    public void FoldedCorpus_At100Hz_BecomesCpuNanoseconds_WithTheIndependentSelfValues()
    {
        var expected = Corpus.Expect("folded-sample.txt");
        var (app, type) = TextProfileType.FromAppName("checkout.cpu");

        var profile = TextProfileParser.Parse(Corpus.ReadProfile("folded-sample.txt"), TextProfileFormat.Folded, type, sampleRate: 100, timeNanos: 5);

        Assert.Equal("checkout", app);
        Assert.Equal(10_000_000, profile.Period);
        var tree = StackTree.FromProfile(profile, 0);
        Assert.Equal(expected.Totals["samples"] * 10_000_000, tree.Total);
        var self = tree.Nodes().Where(n => n.Self > 0).GroupBy(n => n.Path[^1]).ToDictionary(g => g.Key, g => g.Sum(n => n.Self));
        Assert.Equal(
            expected.FunctionSelf["samples"].ToDictionary(kv => kv.Key, kv => kv.Value * 10_000_000).OrderBy(kv => kv.Key, StringComparer.Ordinal),
            self.OrderBy(kv => kv.Key, StringComparer.Ordinal));

        var labels = IngestLabels.ForText(type.MetricName, app, IngestName.Parse("checkout.cpu{env=prod}"), "gospy");
        var series = Assert.Single(SeriesNormalizer.Default.Normalize(profile, labels, 0, Now));
        Assert.Equal("process_cpu:cpu:nanoseconds:cpu:nanoseconds", series.Type.Id);
        Assert.Equal("checkout", series.Labels.Get("service_name"));
        Assert.Equal("prod", series.Labels.Get("env"));
    }

    [Fact]
    public void Folded_SplitsAtTheLastSpace_SumsDuplicates_SkipsLinesWithoutASpace()
    {
        var text = "main;do work 10\nmain;do work 5\nmain;idle 1\nno-count-here\n\r\nmain 0\n"u8;
        var profile = TextProfileParser.Parse(text, TextProfileFormat.Folded, TextProfileType.FromAppName("a.inuse_objects").Type, 100, 0);

        var tree = StackTree.FromProfile(profile, 0);
        Assert.Equal(16, tree.Total);
        Assert.Contains(tree.Nodes(), n => n.Path.SequenceEqual(["main", "do work"]) && n.Self == 15);
        Assert.Equal("inuse_objects", profile.StringTable[(int)profile.SampleType[0].Type]);
        Assert.Null(profile.PeriodType);
    }

    [Fact]
    public void Lines_CountEachLineOnce_AndWallIsRescaled()
    {
        var text = Encoding.UTF8.GetBytes("a;b\na;b\na;c\n");
        var (_, type) = TextProfileType.FromAppName("svc.wall");

        var profile = TextProfileParser.Parse(text, TextProfileFormat.Lines, type, sampleRate: 50, timeNanos: 0);

        Assert.Equal("wall", profile.StringTable[(int)profile.SampleType[0].Type]);
        Assert.Equal(3 * 20_000_000, StackTree.FromProfile(profile, 0).Total);
    }

    [Fact]
    public void SampleRateZero_KeepsSampleCounts()
    {
        var profile = TextProfileParser.Parse("a;b 7\n"u8, TextProfileFormat.Folded, TextProfileType.FromAppName("x").Type, 0, 0);

        Assert.Equal("samples", profile.StringTable[(int)profile.SampleType[0].Type]);
        Assert.Equal(7, StackTree.FromProfile(profile, 0).Total);
    }

    [Fact]
    public void NonIntegerCount_IsMalformed_AndNamesTheLine()
    {
        var error = Assert.Throws<MalformedProfileException>(() =>
            TextProfileParser.Parse("a;b 1\na;c x12\n"u8, TextProfileFormat.Folded, TextProfileType.FromAppName("x").Type, 100, 0));
        Assert.Contains("line 2", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a 9223372036854775807\na 1\n", 0)]
    [InlineData("a 100000000000000000\n", 100)]
    public void CountsThatOverflow_AreMalformed(string text, long sampleRate)
    {
        Assert.Throws<MalformedProfileException>(() =>
            TextProfileParser.Parse(Encoding.UTF8.GetBytes(text), TextProfileFormat.Folded, TextProfileType.FromAppName("x").Type, sampleRate, 0));
    }

    [Theory]
    [InlineData("app", "app", "process_cpu", "samples")]
    [InlineData("my.app.alloc_space", "my.app", "memory", "alloc_space")]
    [InlineData("svc.goroutines", "svc", "goroutine", "goroutines")]
    [InlineData("svc.mutex_duration", "svc", "mutex", "delay")]
    [InlineData("svc.lock_count", "svc", "block", "contentions")]
    [InlineData("svc.bytes", "svc", "memory", "samples")]
    public void AppNameSuffix_PicksTheProfileType(string name, string app, string metric, string sampleType)
    {
        var (parsedApp, type) = TextProfileType.FromAppName(name);

        Assert.Equal(app, parsedApp);
        Assert.Equal(metric, type.MetricName);
        Assert.Equal(sampleType, type.SampleType);
    }

    [Fact]
    public void UnknownSuffix_IsRejected()
    {
        var error = Assert.Throws<InvalidLabelsException>(() => TextProfileType.FromAppName("my.service"));
        Assert.Equal("unknown profile type: service", error.Message);
    }
}
