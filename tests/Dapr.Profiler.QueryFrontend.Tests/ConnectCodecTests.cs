using System.Net.Http.Headers;
using System.Text;
using Dapr.Profiler.Protos.Querier;
using Dapr.Profiler.Protos.Types;
using Google.Protobuf;
using Pprof = Dapr.Profiler.Protos.Pprof;
using static Dapr.Profiler.QueryFrontend.Tests.Fixtures;

namespace Dapr.Profiler.QueryFrontend.Tests;

/// <summary>Every querier.v1 method answers in binary protobuf and in protojson, with the same result.</summary>
public sealed class ConnectCodecTests
{
    private const string App = "{service_name=\"app\"}";

    public static TheoryData<string> Methods() =>
    [
        "ProfileTypes", "LabelNames", "LabelValues", "Series", "SelectMergeStacktraces", "SelectMergeProfile", "SelectSeries", "Diff",
        "GetProfileStats", "SelectMergeSpanProfile",
    ];

    [Theory]
    [MemberData(nameof(Methods))]
    public async Task EveryMethod_AnswersTheSameInProtoAndJson_WithInt64AsStringsAndEnumsAsNames(string method)
    {
        await using var host = await StartWithDataAsync();
        var (proto, json) = Request(method);

        var fromProto = await CallAsync(host, method, proto, binary: true);
        var fromJson = await CallAsync(host, method, json, binary: false);

        Assert.Equal(fromProto, fromJson);
        Assert.NotEqual(0, fromProto.CalculateSize());
    }

    [Fact]
    public async Task JsonInput_AcceptsInt64AsNumbersAndEnumsAsIntegers()
    {
        await using var host = await StartWithDataAsync();
        var json = $"{{\"profileTypeID\":\"{Cpu}\",\"labelSelector\":\"{{}}\",\"start\":{Start},\"end\":{End},\"step\":15,"
            + "\"groupBy\":[\"pod\"],\"aggregation\":1,\"limit\":1,\"exemplarType\":1,\"someFutureField\":true}";

        var response = await host.CallJsonAsync<SelectSeriesResponse>("SelectSeries", json);

        var query = Assert.Single(host.Backend.Requests).Query.Single().TimeSeries;
        Assert.Equal(TimeSeriesAggregationType.Average, query.Aggregation);
        Assert.Equal(["pod"], query.GroupBy);
        Assert.Equal(15, query.Step);
        var series = Assert.Single(response.Series);
        Assert.Equal("a", series.Labels.Single().Value);
    }

    [Fact]
    public async Task FlameGraph_InJson_IsTheReferenceExampleByteForByte()
    {
        await using var host = await StartWithDataAsync();
        var json = $"{{\"profileTypeID\":\"{Cpu}\",\"labelSelector\":\"{{}}\",\"start\":\"{Start}\",\"end\":\"{End}\"}}";

        var answer = await host.PostJsonAsync("SelectMergeStacktraces", json);

        Assert.Equal(200, answer.Status);
        Assert.Equal(ExampleFlameGraphJson, answer.Text);
    }

    [Fact]
    public async Task XProtobufContentType_IsAcceptedAndEchoed()
    {
        await using var host = await StartWithDataAsync();

        var answer = await host.PostProtoAsync("ProfileTypes", new ProfileTypesRequest { Start = Start, End = End }, contentType: "application/x-protobuf");

        Assert.Equal(200, answer.Status);
        Assert.Equal("application/x-protobuf", answer.ContentType);
        Assert.Equal(2, ProfileTypesResponse.Parser.ParseFrom(answer.Body).ProfileTypes.Count);
    }

    [Fact]
    public async Task GzipRequestBody_IsDecoded_AndAcceptEncodingGzip_GetsAGzipResponse()
    {
        await using var host = await StartWithDataAsync();
        var body = new SelectMergeStacktracesRequest { ProfileTypeID = Cpu, LabelSelector = App, Start = Start, End = End }.ToByteArray();
        var request = FrontendHost.Connect("SelectMergeStacktraces", FrontendHost.Gzip(body), "application/proto");
        request.Content!.Headers.ContentEncoding.Add("gzip");
        request.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue("gzip"));

        var answer = await host.SendAsync(request);

        Assert.Equal(200, answer.Status);
        Assert.True(answer.Gzipped);
        Assert.Equal(100, SelectMergeStacktracesResponse.Parser.ParseFrom(answer.Body).Flamegraph.Total);
    }

    [Fact]
    public async Task WithoutAcceptEncoding_TheResponseIsNotCompressed()
    {
        await using var host = await StartWithDataAsync();

        var answer = await host.PostJsonAsync("ProfileTypes", $"{{\"start\":\"{Start}\",\"end\":\"{End}\"}}");

        Assert.Equal(200, answer.Status);
        Assert.False(answer.Gzipped);
        Assert.StartsWith("{\"profileTypes\":[{\"ID\":\"memory:alloc_space", answer.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EmptyBody_IsTheEmptyMessage_InBothCodecs()
    {
        await using var host = await StartWithDataAsync();

        var proto = await host.SendAsync(FrontendHost.Connect("GetProfileStats", [], "application/proto"));
        var json = await host.SendAsync(FrontendHost.Connect("GetProfileStats", [], "application/json"));

        Assert.Equal(200, proto.Status);
        Assert.Equal(200, json.Status);
        Assert.True(GetProfileStatsResponse.Parser.ParseFrom(proto.Body).DataIngested);
        Assert.Contains("\"dataIngested\":true", json.Text, StringComparison.Ordinal);
    }

    private static async Task<IMessage> CallAsync(FrontendHost host, string method, object request, bool binary)
    {
        var answer = binary
            ? await host.PostProtoAsync(method, (IMessage)request)
            : await host.PostJsonAsync(method, (string)request);
        Assert.True(answer.Status == 200, $"{method}: {answer.Status} {answer.Code} {answer.Message}");
        var descriptor = ResponseDescriptor(method);
        return binary
            ? descriptor.Parser.ParseFrom(answer.Body)
            : new JsonParser(JsonParser.Settings.Default).Parse(Encoding.UTF8.GetString(answer.Body), descriptor);
    }

    private static Google.Protobuf.Reflection.MessageDescriptor ResponseDescriptor(string method) => method switch
    {
        "ProfileTypes" => ProfileTypesResponse.Descriptor,
        "LabelNames" => LabelNamesResponse.Descriptor,
        "LabelValues" => LabelValuesResponse.Descriptor,
        "Series" => SeriesResponse.Descriptor,
        "SelectMergeStacktraces" => SelectMergeStacktracesResponse.Descriptor,
        "SelectMergeProfile" => Pprof.Profile.Descriptor,
        "SelectSeries" => SelectSeriesResponse.Descriptor,
        "Diff" => DiffResponse.Descriptor,
        "GetProfileStats" => GetProfileStatsResponse.Descriptor,
        _ => SelectMergeSpanProfileResponse.Descriptor,
    };

    /// <summary>The same request in binary (a message) and in protojson (int64 as strings, enums by name).</summary>
    private static (IMessage Proto, string Json) Request(string method)
    {
        var range = $"\"start\":\"{Start}\",\"end\":\"{End}\"";
        var app = "\"{service_name=\\\"app\\\"}\"";
        return method switch
        {
            "ProfileTypes" => (new ProfileTypesRequest { Start = Start, End = End }, $"{{{range}}}"),
            "LabelNames" => (new LabelNamesRequest { Matchers = { App }, Start = Start, End = End }, $"{{\"matchers\":[{app}],{range}}}"),
            "LabelValues" => (new LabelValuesRequest { Name = "service_name", Matchers = { App }, Start = Start, End = End },
                $"{{\"name\":\"service_name\",\"matchers\":[{app}],{range}}}"),
            "Series" => (new SeriesRequest { Matchers = { "{}" }, LabelNames = { "service_name", "__profile_type__" }, Start = Start, End = End },
                $"{{\"matchers\":[\"{{}}\"],\"labelNames\":[\"service_name\",\"__profile_type__\"],{range}}}"),
            "SelectMergeStacktraces" => (
                new SelectMergeStacktracesRequest { ProfileTypeID = Cpu, LabelSelector = App, Start = Start, End = End, MaxNodes = 16, Format = ProfileFormat.Flamegraph },
                $"{{\"profileTypeID\":\"{Cpu}\",\"labelSelector\":{app},{range},\"maxNodes\":\"16\",\"format\":\"PROFILE_FORMAT_FLAMEGRAPH\"}}"),
            "SelectMergeProfile" => (new SelectMergeProfileRequest { ProfileTypeID = Cpu, LabelSelector = App, Start = Start, End = End },
                $"{{\"profileTypeID\":\"{Cpu}\",\"labelSelector\":{app},{range}}}"),
            "SelectSeries" => (
                new SelectSeriesRequest
                {
                    ProfileTypeID = Cpu, LabelSelector = App, Start = Start, End = End, Step = 15, GroupBy = { "pod" },
                    Aggregation = TimeSeriesAggregationType.Average, Limit = 2, ExemplarType = ExemplarType.None,
                },
                $"{{\"profileTypeID\":\"{Cpu}\",\"labelSelector\":{app},{range},\"groupBy\":[\"pod\"],\"step\":15,"
                    + "\"aggregation\":\"TIME_SERIES_AGGREGATION_TYPE_AVERAGE\",\"limit\":\"2\",\"exemplarType\":\"EXEMPLAR_TYPE_NONE\"}"),
            "Diff" => (
                new DiffRequest
                {
                    Left = new SelectMergeStacktracesRequest { ProfileTypeID = Cpu, LabelSelector = App, Start = Start, End = End },
                    Right = new SelectMergeStacktracesRequest { ProfileTypeID = Cpu, LabelSelector = "{}", Start = Start, End = End },
                },
                $"{{\"left\":{{\"profileTypeID\":\"{Cpu}\",\"labelSelector\":{app},{range}}},\"right\":{{\"profileTypeID\":\"{Cpu}\",\"labelSelector\":\"{{}}\",{range}}}}}"),
            "GetProfileStats" => (new GetProfileStatsRequest(), "{}"),
            _ => (
                new SelectMergeSpanProfileRequest { ProfileTypeID = Cpu, LabelSelector = App, SpanSelector = { "9a8b7c6d5e4f3a2b" }, Start = Start, End = End, Format = ProfileFormat.Flamegraph },
                $"{{\"profileTypeID\":\"{Cpu}\",\"labelSelector\":{app},\"spanSelector\":[\"9a8b7c6d5e4f3a2b\"],{range},\"format\":1}}"),
        };
    }
}
