using Dapr.Profiler.Mesh;
using Dapr.Profiler.Protos.Querier;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using static Dapr.Profiler.QueryFrontend.Tests.Fixtures;

namespace Dapr.Profiler.QueryFrontend.Tests;

/// <summary>Bad input gets a Connect error: <c>{"code","message"}</c> JSON with the mapped HTTP status.</summary>
public sealed class ErrorTests
{
    public static TheoryData<string, string, int, string, string> BadRequests() => new()
    {
        { "bad selector", Flame("{service_name=\\\"app\\\"") , 400, "invalid_argument", "parse error at char 19" },
        { "bad selector in matchers", $"{{\"matchers\":[\"{{service_name=}}\"],\"start\":\"{Start}\",\"end\":\"{End}\"}}", 400, "invalid_argument", "parse error at char" },
        { "missing profile type", $"{{\"labelSelector\":\"{{}}\",\"start\":\"{Start}\",\"end\":\"{End}\"}}", 400, "invalid_argument", "missing profile type" },
        { "malformed profile type", $"{{\"profileTypeID\":\"cpu\",\"labelSelector\":\"{{}}\",\"start\":\"{Start}\",\"end\":\"{End}\"}}", 400, "invalid_argument", "expected 5 parts" },
        { "maxNodes too large", Flame("{}", ",\"maxNodes\":\"2000000\""), 400, "invalid_argument", "max flamegraph nodes limit 2000000 is greater than allowed 1048576" },
        { "maxNodes negative", Flame("{}", ",\"maxNodes\":\"-1\""), 400, "invalid_argument", "max flamegraph nodes limit must be set" },
        { "missing time range", $"{{\"profileTypeID\":\"{Cpu}\",\"labelSelector\":\"{{}}\"}}", 400, "invalid_argument", "missing time range" },
        { "start after end", $"{{\"profileTypeID\":\"{Cpu}\",\"start\":\"{End}\",\"end\":\"{Start}\"}}", 400, "invalid_argument", "start time is after end time" },
        { "malformed JSON", "{\"profileTypeID\":", 400, "invalid_argument", "invalid JSON SelectMergeStacktracesRequest" },
        { "wrong JSON type", "{\"start\":\"soon\"}", 400, "invalid_argument", "invalid JSON" },
        { "profile format TREE", Flame("{}", ",\"format\":\"PROFILE_FORMAT_TREE\""), 501, "unimplemented", "PROFILE_FORMAT_TREE" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task BadInput_GetsAConnectError(string name, string json, int status, string code, string messagePart)
    {
        await using var host = await StartWithDataAsync();
        var method = name.Contains("matchers", StringComparison.Ordinal) ? "LabelNames" : "SelectMergeStacktraces";

        var answer = await host.PostJsonAsync(method, json);

        Assert.Equal(status, answer.Status);
        Assert.Equal("application/json", answer.ContentType);
        Assert.Equal(code, answer.Code);
        Assert.Contains(messagePart, answer.Message, StringComparison.Ordinal);
        Assert.Empty(host.Backend.Requests);
        Assert.Contains(host.Logs.Entries, e => e.EventId.Id == 7010 && e.Level == LogLevel.Information);
    }

    [Fact]
    public async Task StepBelowOneMillisecond_IsInvalid()
    {
        await using var host = await StartWithDataAsync();

        var answer = await host.PostProtoAsync("SelectSeries", new SelectSeriesRequest { ProfileTypeID = Cpu, Start = Start, End = End, Step = 0.0005 });

        Assert.Equal(400, answer.Status);
        Assert.Equal("invalid_argument", answer.Code);
        Assert.Contains("step must be >= 1ms", answer.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MalformedProtobuf_IsInvalidArgument()
    {
        await using var host = await StartWithDataAsync();

        var answer = await host.SendAsync(FrontendHost.Connect("SelectSeries", [0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01], "application/proto"));

        Assert.Equal(400, answer.Status);
        Assert.Equal("invalid_argument", answer.Code);
        Assert.Contains("invalid protobuf SelectSeriesRequest", answer.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownProcedure_Is404Unimplemented()
    {
        await using var host = await StartWithDataAsync();

        var answer = await host.PostJsonAsync("AnalyzeEverything", "{}");

        Assert.Equal(404, answer.Status);
        Assert.Equal("unimplemented", answer.Code);
        Assert.Contains("querier.v1.QuerierService/AnalyzeEverything", answer.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SelectHeatmap_Is501Unimplemented()
    {
        await using var host = await StartWithDataAsync();

        var answer = await host.PostProtoAsync("SelectHeatmap", new SelectHeatmapRequest { ProfileTypeID = Cpu, Start = Start, End = End, Step = 15 });

        Assert.Equal(501, answer.Status);
        Assert.Equal("unimplemented", answer.Code);
    }

    [Fact]
    public async Task OtherMediaTypes_Get415_AndGet_Gets405()
    {
        await using var host = await StartWithDataAsync();

        var text = await host.SendAsync(FrontendHost.Connect("ProfileTypes", "{}"u8.ToArray(), "text/plain"));
        var get = await host.GetAsync("/querier.v1.QuerierService/ProfileTypes");

        Assert.Equal(415, text.Status);
        Assert.Equal("application/proto, application/json", text.Response.Headers.GetValues("Accept-Post").Single());
        Assert.Equal(405, get.Status);
        Assert.Equal("unimplemented", get.Code);
    }

    [Fact]
    public async Task UnsupportedContentEncoding_IsUnimplemented_AndCorruptGzip_IsInvalid()
    {
        await using var host = await StartWithDataAsync();
        var brotli = FrontendHost.Connect("ProfileTypes", "{}"u8.ToArray(), "application/json");
        brotli.Content!.Headers.ContentEncoding.Add("br");
        var corrupt = FrontendHost.Connect("ProfileTypes", [0x1f, 0x8b, 0x08, 0x00, 0x01], "application/json");
        corrupt.Content!.Headers.ContentEncoding.Add("gzip");

        var brotliAnswer = await host.SendAsync(brotli);
        var corruptAnswer = await host.SendAsync(corrupt);

        Assert.Equal(501, brotliAnswer.Status);
        Assert.Equal(400, corruptAnswer.Status);
        Assert.Equal("invalid_argument", corruptAnswer.Code);
    }

    [Fact]
    public async Task BodyOverTheLimit_IsResourceExhausted_EvenWhenGzipInflatesIt()
    {
        await using var host = await StartWithDataAsync(new Dictionary<string, string?> { ["QueryFrontend:MaxRequestBodyBytes"] = "2048" });
        var big = "{\"labelNames\":[\"" + new string('x', 10_000) + "\"]}";
        var bomb = FrontendHost.Connect("Series", FrontendHost.Gzip(System.Text.Encoding.UTF8.GetBytes(big)), "application/json");
        bomb.Content!.Headers.ContentEncoding.Add("gzip");

        var plain = await host.PostJsonAsync("Series", big);
        var zipped = await host.SendAsync(bomb);

        Assert.Equal(429, plain.Status);
        Assert.Equal("resource_exhausted", plain.Code);
        Assert.Contains("QueryFrontend:MaxRequestBodyBytes", plain.Message, StringComparison.Ordinal);
        Assert.Equal(429, zipped.Status);
    }

    [Fact]
    public async Task BackendUnavailable_Is503_AndLogged()
    {
        await using var host = await StartWithDataAsync();
        host.Backend.Failure = new ServiceException(ServiceStatus.Unavailable, "no query-backend replica is up");

        var answer = await host.PostProtoAsync("SelectMergeStacktraces", new SelectMergeStacktracesRequest { ProfileTypeID = Cpu, Start = Start, End = End });

        Assert.Equal(503, answer.Status);
        Assert.Equal("unavailable", answer.Code);
        Assert.Contains(host.Logs.Entries, e => e.EventId.Id == 7020 && e.Level == LogLevel.Warning);
    }

    [Fact]
    public async Task ConnectTimeout_ThatExpires_Is504DeadlineExceeded()
    {
        await using var host = await StartWithDataAsync();
        host.Backend.Hang = true;
        var request = FrontendHost.Connect(
            "SelectMergeStacktraces", new SelectMergeStacktracesRequest { ProfileTypeID = Cpu, Start = Start, End = End }.ToByteArray(), "application/proto");
        request.Headers.Add("Connect-Timeout-Ms", "50");

        var answer = await host.SendAsync(request);

        Assert.Equal(504, answer.Status);
        Assert.Equal("deadline_exceeded", answer.Code);
        Assert.Contains(host.Logs.Entries, e => e.EventId.Id == 7022);
    }

    [Fact]
    public async Task MalformedBackendReport_IsAnInternalError()
    {
        await using var host = await StartWithDataAsync();
        host.Backend.Tree = new Protos.QueryBackend.TreeReport { Names = { "", "main" }, Parent = { -1, 5 }, Name = { 0, 1 }, Self = { 0, 1 } };

        var answer = await host.PostProtoAsync("SelectMergeStacktraces", new SelectMergeStacktracesRequest { ProfileTypeID = Cpu, Start = Start, End = End });

        Assert.Equal(500, answer.Status);
        Assert.Equal("internal", answer.Code);
        Assert.Contains("malformed report: node 1 has parent 5", answer.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProfileIdSelector_IsRefusedRatherThanIgnored()
    {
        await using var host = await StartWithDataAsync();

        var answer = await host.PostProtoAsync("SelectMergeStacktraces", new SelectMergeStacktracesRequest
        {
            ProfileTypeID = Cpu, Start = Start, End = End, ProfileIdSelector = { "7c9e6679-7425-40de-944b-e07fc1f90ae7" },
        });

        Assert.Equal(501, answer.Status);
        Assert.Equal("unimplemented", answer.Code);
    }

    private static string Flame(string selector, string extra = "") =>
        $"{{\"profileTypeID\":\"{Cpu}\",\"labelSelector\":\"{selector}\",\"start\":\"{Start}\",\"end\":\"{End}\"{extra}}}";
}
