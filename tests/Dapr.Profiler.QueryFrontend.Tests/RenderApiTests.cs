using System.Text.Json;
using Dapr.Profiler.Model;
using Dapr.Profiler.Protos.Metastore;
using Dapr.Profiler.Protos.QueryBackend;
using static Dapr.Profiler.QueryFrontend.Tests.Fixtures;

namespace Dapr.Profiler.QueryFrontend.Tests;

/// <summary>The legacy render API: flamebearer JSON, render-diff and label-values.</summary>
public sealed class RenderApiTests
{
    private static string RenderUrl(string query, string extra = "") =>
        $"/pyroscope/render?query={Uri.EscapeDataString(query)}&from={Start}&until={End}{extra}";

    [Fact]
    public async Task Render_AnswersFlamebearerJson_WithMetadataAndAZeroFilledTimeline()
    {
        await using var host = await StartWithDataAsync();
        host.Backend.TimeSeries = new TimeSeriesReport
        {
            Series = { Reports.Series([], (Start + 15_000, 7, 1), (Start + 60_000, 9.9, 2)) },
        };

        var answer = await host.GetAsync(RenderUrl(Cpu + "{service_name=\"app\"}", "&maxNodes=1024"));

        Assert.Equal(200, answer.Status);
        Assert.Equal("application/json", answer.ContentType);
        using var doc = JsonDocument.Parse(answer.Body);
        var root = doc.RootElement;
        Assert.Equal(
            ["version", "flamebearer", "metadata", "timeline", "groups", "heatmap"],
            root.EnumerateObject().Select(p => p.Name));
        Assert.Equal(1, root.GetProperty("version").GetInt32());
        var fb = root.GetProperty("flamebearer");
        Assert.Equal(["total", "main", "foo", "bar"], fb.GetProperty("names").EnumerateArray().Select(n => n.GetString()));
        Assert.Equal("[[0,100,0,0],[0,100,0,1],[0,40,40,3,0,60,60,2]]", fb.GetProperty("levels").GetRawText());
        Assert.Equal(100, fb.GetProperty("numTicks").GetInt64());
        Assert.Equal(60, fb.GetProperty("maxSelf").GetInt64());
        Assert.Equal(
            "{\"format\":\"single\",\"spyName\":\"\",\"sampleRate\":1000000000,\"units\":\"samples\",\"name\":\"cpu\"}",
            root.GetProperty("metadata").GetRawText());
        var timeline = root.GetProperty("timeline");
        Assert.Equal(Start / 1000, timeline.GetProperty("startTime").GetInt64());
        Assert.Equal(15, timeline.GetProperty("durationDelta").GetInt64());
        var samples = timeline.GetProperty("samples").EnumerateArray().Select(s => s.GetInt64()).ToArray();
        Assert.Equal(240, samples.Length);
        Assert.Equal([0, 7, 0, 0, 9, 0], samples[..6]);
        Assert.Equal(9 + 7, samples.Sum());
        Assert.Equal("{}", timeline.GetProperty("watermarks").GetRawText());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("groups").ValueKind);
        Assert.Equal(JsonValueKind.Null, root.GetProperty("heatmap").ValueKind);

        var tree = host.Backend.Requests.Single(r => r.Query[0].Type == QueryType.Tree);
        Assert.Equal(1024, tree.Query[0].Tree.MaxNodes);
        Assert.Equal($"{{service_name=\"app\", __profile_type__=\"{Cpu}\"}}", tree.LabelSelector);
        var series = host.Backend.Requests.Single(r => r.Query[0].Type == QueryType.TimeSeries);
        Assert.Equal(15, series.Query[0].TimeSeries.Step);
    }

    [Fact]
    public async Task Render_WithGroupBy_AddsOneTimelinePerValueOfTheFirstLabel()
    {
        await using var host = await StartWithDataAsync();

        var answer = await host.GetAsync(RenderUrl(Cpu + "{}", "&groupBy=pod&groupBy=region&aggregation=avg"));

        Assert.Equal(200, answer.Status);
        using var doc = JsonDocument.Parse(answer.Body);
        var groups = doc.RootElement.GetProperty("groups");
        Assert.Equal(["a", "b"], groups.EnumerateObject().Select(g => g.Name));
        Assert.Equal([10, 10], groups.GetProperty("a").GetProperty("samples").EnumerateArray().Select(s => s.GetInt64()).Take(2));
        Assert.All(doc.RootElement.GetProperty("timeline").GetProperty("samples").EnumerateArray(), s => Assert.Equal(0, s.GetInt64()));
        var query = host.Backend.Requests.Single(r => r.Query[0].Type == QueryType.TimeSeries).Query[0].TimeSeries;
        Assert.Equal(["pod"], query.GroupBy);
        Assert.Equal(Protos.Types.TimeSeriesAggregationType.Average, query.Aggregation);
    }

    [Fact]
    public async Task Render_WithoutData_IsTheEmptyFlamebearer()
    {
        await using var host = await FrontendHost.StartAsync();

        var answer = await host.GetAsync(RenderUrl(AllocSpace + "{}"));

        using var doc = JsonDocument.Parse(answer.Body);
        Assert.Equal("{\"names\":[\"total\"],\"levels\":[[0,0,0,0]],\"numTicks\":0,\"maxSelf\":0}", doc.RootElement.GetProperty("flamebearer").GetRawText());
        Assert.Equal("bytes", doc.RootElement.GetProperty("metadata").GetProperty("units").GetString());
        Assert.Empty(host.Backend.Requests);
    }

    [Theory]
    [InlineData("", "\"query\" is required")]
    [InlineData("{service_name=\"app\"}", "\"query\" must contain a profile-type selection")]
    [InlineData("cpu{}", "failed to parse \"query\"")]
    [InlineData(Cpu + "{service_name=}", "parse error at char")]
    public async Task Render_WithABadQuery_Is400(string query, string messagePart)
    {
        await using var host = await StartWithDataAsync();

        var answer = await host.GetAsync(RenderUrl(query));

        Assert.Equal(400, answer.Status);
        Assert.Equal("invalid_argument", answer.Code);
        Assert.Contains(messagePart, answer.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Render_AcceptsTheProfileTypeAsANameMatcher()
    {
        await using var host = await StartWithDataAsync();

        var answer = await host.GetAsync(RenderUrl($"{{__name__=\"{Cpu}\", service_name=\"app\"}}"));

        Assert.Equal(200, answer.Status);
        Assert.All(host.Backend.Requests, r => Assert.Equal($"{{service_name=\"app\", __profile_type__=\"{Cpu}\"}}", r.LabelSelector));
    }

    [Fact]
    public async Task Render_FormatDot_IsAGraphvizDigraph()
    {
        await using var host = await StartWithDataAsync();

        var answer = await host.GetAsync(RenderUrl(Cpu + "{}", "&format=dot&max-nodes=10"));

        Assert.Equal(200, answer.Status);
        Assert.Equal("text/plain", answer.ContentType);
        Assert.StartsWith("digraph \"unnamed\" {", answer.Text, StringComparison.Ordinal);
        Assert.Contains("label=\"main\\n40 (40%)\\nof 100 (100%)\"", answer.Text, StringComparison.Ordinal);
        Assert.Contains("N1 -> N2 [label=\" 60\"", answer.Text, StringComparison.Ordinal);
        Assert.Equal(512, host.Backend.Requests.Single().Query[0].Pprof.MaxNodes);
    }

    [Fact]
    public async Task RenderDiff_AnswersADoubleFlamebearer()
    {
        await using var host = await StartWithDataAsync();
        host.Backend.TreeFor = r => r.LabelSelector.Contains("left", StringComparison.Ordinal)
            ? Reports.Tree(("main;foo", 60), ("main;bar", 40))
            : Reports.Tree(("main;foo", 30));
        var left = Uri.EscapeDataString(Cpu + "{service_name=\"left\"}");
        var right = Uri.EscapeDataString(Cpu + "{service_name=\"right\"}");

        var answer = await host.GetAsync(
            $"/pyroscope/render-diff?leftQuery={left}&leftFrom={Start}&leftUntil={End}&rightQuery={right}&rightFrom={Start}&rightUntil={End}&max-nodes=100");

        Assert.Equal(200, answer.Status);
        using var doc = JsonDocument.Parse(answer.Body);
        var root = doc.RootElement;
        Assert.Equal("double", root.GetProperty("metadata").GetProperty("format").GetString());
        Assert.Equal(100, root.GetProperty("leftTicks").GetInt64());
        Assert.Equal(30, root.GetProperty("rightTicks").GetInt64());
        Assert.Equal(130, root.GetProperty("flamebearer").GetProperty("numTicks").GetInt64());
        Assert.All(root.GetProperty("flamebearer").GetProperty("levels").EnumerateArray(), l => Assert.Equal(0, l.GetArrayLength() % 7));
        Assert.Equal("[0,100,0,0,30,0,0]", root.GetProperty("flamebearer").GetProperty("levels")[0].GetRawText());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("timeline").ValueKind);
    }

    [Fact]
    public async Task RenderDiff_WithDifferentProfileTypes_Is400()
    {
        await using var host = await StartWithDataAsync();
        var left = Uri.EscapeDataString(Cpu + "{}");
        var right = Uri.EscapeDataString(AllocSpace + "{}");

        var answer = await host.GetAsync($"/pyroscope/render-diff?leftQuery={left}&rightQuery={right}&leftFrom=now-1h&rightFrom=now-1h");

        Assert.Equal(400, answer.Status);
        Assert.Contains("profile types must match", answer.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LabelValues_OfName_AreTheProfileTypeIds_OtherwiseTheLabelsValues()
    {
        await using var host = await StartWithDataAsync();

        var names = await host.GetAsync("/pyroscope/label-values?label=__name__");
        var services = await host.GetAsync($"/pyroscope/label-values?label=service_name&from={Start}&until={End}");
        var missing = await host.GetAsync("/pyroscope/label-values");

        Assert.Equal($"[\"{AllocSpace}\",\"{Cpu}\"]", names.Text);
        Assert.Equal("[\"api\",\"web\"]", services.Text);
        var ask = host.Metastore.RequestsOf<LabelValuesRequest>().Single();
        Assert.Equal(("service_name", Start, End), (ask.Name, ask.Query.StartTime, ask.Query.EndTime));
        Assert.Equal(400, missing.Status);
        Assert.Equal("label parameter is required", missing.Message);
    }

    [Theory]
    [InlineData("process_cpu:cpu:nanoseconds:cpu:nanoseconds", "samples", 1_000_000_000u)]
    [InlineData("memory:inuse_objects:count:space:bytes", "objects", 100u)]
    [InlineData("memory:alloc_objects:count:space:bytes", "objects", 100u)]
    [InlineData("goroutines:goroutine:count:goroutine:count", "objects", 100u)]
    [InlineData("process_cpu:samples:count:cpu:nanoseconds", "objects", 100u)]
    [InlineData("memory:inuse_space:bytes:space:bytes", "bytes", 100u)]
    [InlineData("wall:wall:nanoseconds:wall:nanoseconds", "nanoseconds", 100u)]
    [InlineData("block:contentions:count:contentions:count", "count", 100u)]
    public void Metadata_FollowsPyroscopesUnitRules(string profileType, string units, uint sampleRate)
    {
        Assert.Equal((units, sampleRate), Flamebearer.Metadata(ProfileTypeId.Parse(profileType)));
    }
}
