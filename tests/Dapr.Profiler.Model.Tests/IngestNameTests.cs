using Dapr.Profiler.TestKit;
using Dapr.Profiler.Protos.Pprof;

namespace Dapr.Profiler.Model.Tests;

public sealed class IngestNameTests
{
    [Fact]
    public void Parse_SplitsAppAndTrimmedTags()
    {
        var name = IngestName.Parse("node-corpus{ otel.scope.name = com.grafana.pyroscope/nodejs ,env=test, noequals}");

        Assert.Equal("node-corpus", name.AppName);
        Assert.Equal([new LabelPair("otel.scope.name", "com.grafana.pyroscope/nodejs"), new LabelPair("env", "test")], name.Tags);
    }

    [Theory]
    [InlineData("", "name: service name is required")]
    [InlineData("{env=x}", "name: service name is required")]
    [InlineData("my app", "name: invalid service name: my app: character is not allowed: ' '")]
    [InlineData("app{e-nv=x}", "name: invalid label name: e-nv: character is not allowed: '-'")]
    [InlineData("app{=x}", "name: label name is required")]
    public void Parse_RejectsBadNames_WithPyroscopesMessages(string text, string message)
    {
        var error = Assert.Throws<InvalidLabelsException>(() => IngestName.Parse(text));
        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void RealNodeClientRequest_GetsTheLabelsPyroscopeStores()
    {
        // The query string the real @pyroscope/nodejs 0.6.4 client sent when the corpus was captured.
        var profile = PprofDecoder.Decode(Corpus.ReadProfile("node-wall.pb.gz"));
        var name = IngestName.Parse("node-corpus{otel.scope.name=com.grafana.pyroscope/nodejs,otel.scope.version=0.6.4,process.runtime.name=nodejs,process.runtime.version=20.20.2,env=test}");

        var labels = SeriesNormalizer.Default.NormalizeLabels(IngestLabels.ForPprof(profile, name, "nodespy", null));

        Assert.Equal(
            "{__name__=\"wall\", env=\"test\", otel_scope_name=\"com.grafana.pyroscope/nodejs\", otel_scope_version=\"0.6.4\", " +
            "process_runtime_name=\"nodejs\", process_runtime_version=\"20.20.2\", pyroscope_spy=\"nodespy\", service_name=\"node-corpus\"}",
            labels.ToString());
    }

    [Fact]
    public void ReservedTags_AreDropped_ExceptTheSessionId_AndServiceNameTagWins()
    {
        var profile = PprofDecoderTests.SmallProfile();
        var name = IngestName.Parse("app{__secret=1,__session_id__=abc,service_name=real}");

        var labels = IngestLabels.ForPprof(profile, name, "gospy", null);

        Assert.DoesNotContain(labels, l => l.Name == "__secret");
        Assert.Contains(new LabelPair("__session_id__", "abc"), labels);
        Assert.Equal("real", Assert.Single(labels, l => l.Name == "service_name").Value);
    }

    [Theory]
    [InlineData("samples,cpu", null, "process_cpu")]
    [InlineData("samples,wall", null, "wall")]
    [InlineData("alloc_objects,alloc_space", null, "memory")]
    [InlineData("contentions,delay", null, "mutex")]
    [InlineData("goroutine", null, "goroutines")]
    [InlineData("contentions,delay", """{"contentions":{"display-name":"block_count"},"delay":{"display-name":"block_duration"}}""", "block")]
    [InlineData("objects", null, "memory")]
    [InlineData("exceptions", null, "exceptions")]
    [InlineData("samples", """{"other":{"units":"x"}}""", "samples")]
    public void MetricName_FollowsPyroscopesHeuristic(string sampleTypes, string? config, string expected)
    {
        var profile = new Profile();
        profile.StringTable.Add(string.Empty);
        foreach (var type in sampleTypes.Split(','))
        {
            profile.StringTable.Add(type);
            profile.SampleType.Add(new Dapr.Profiler.Protos.Pprof.ValueType { Type = profile.StringTable.Count - 1 });
        }

        var parsed = config is null ? SampleTypeConfig.Default : SampleTypeConfig.Parse(System.Text.Encoding.UTF8.GetBytes(config));

        Assert.Equal(expected, IngestLabels.MetricName(profile, parsed));
    }

    [Fact]
    public void SampleTypeConfig_BadJson_IsMalformed()
    {
        Assert.Throws<MalformedProfileException>(() => SampleTypeConfig.Parse("{\"samples\": 3}"u8));
        Assert.Throws<MalformedProfileException>(() => SampleTypeConfig.Parse("not json"u8));
    }
}
