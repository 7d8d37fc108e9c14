using System.Net.Http.Headers;
using System.Text;
using Dapr.Profiler.TestKit;
using Microsoft.Extensions.Logging;

namespace Dapr.Profiler.Distributor.Tests;

/// <summary>Bad input of every kind gets its documented status, Connect code and a message naming the problem.</summary>
public sealed class RejectionTests
{
    private const string Pprof = "/ingest?format=pprof&name=app";

    private static readonly Dictionary<string, Case> Cases = new()
    {
        ["malformed pprof"] = new(() => IngestRequests.Ingest(Pprof, IngestRequests.Bytes([0x0a, 0xff, 0xff, 0xff, 0x0f])), 400, "invalid_argument", "invalid pprof"),
        ["corrupt gzip"] = new(() => IngestRequests.Ingest(Pprof, IngestRequests.Bytes([0x1f, 0x8b, 0x08, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15])), 400, "invalid_argument", "gzip"),
        ["gzip bomb"] = new(() => IngestRequests.Ingest(Pprof, IngestRequests.Bytes(Bomb())), 413, "invalid_argument", "Distributor:MaxDecompressedBytes", Limit("MaxDecompressedBytes", "1048576")),
        ["gzip bomb in push"] = new(() => IngestRequests.Push(IngestRequests.PushOf(([("__name__", "process_cpu")], Bomb()))), 400, "invalid_argument", "Distributor:MaxDecompressedBytes", Limit("MaxDecompressedBytes", "1048576")),
        ["missing name"] = new(() => IngestRequests.Ingest("/ingest?format=pprof", IngestRequests.Bytes(GoCpu())), 400, "invalid_argument", "service name is required"),
        ["bad name"] = new(() => IngestRequests.Ingest("/ingest?format=pprof&name=my%20app", IngestRequests.Bytes(GoCpu())), 400, "invalid_argument", "invalid service name"),
        ["unknown text type"] = new(() => IngestRequests.Ingest("/ingest?name=app.bogus", IngestRequests.Text("a;b 1")), 400, "invalid_argument", "unknown profile type"),
        ["bad folded count"] = new(() => IngestRequests.Ingest("/ingest?name=app", IngestRequests.Text("a;b many")), 400, "invalid_argument", "is not an integer count"),
        ["format jfr"] = new(() => IngestRequests.Ingest("/ingest?format=jfr&name=app", IngestRequests.Bytes([1, 2, 3])), 400, "invalid_argument", "format 'jfr' is not supported"),
        ["format speedscope"] = new(() => IngestRequests.Ingest("/ingest?format=speedscope&name=app", IngestRequests.Text("{}")), 400, "invalid_argument", "format 'speedscope' is not supported"),
        ["format tree"] = new(() => IngestRequests.Ingest("/ingest?format=tree&name=app", IngestRequests.Bytes([1])), 400, "invalid_argument", "format 'tree' is not supported"),
        ["trie content type"] = new(() => IngestRequests.Ingest("/ingest?name=app", IngestRequests.Bytes([1], "binary/octet-stream+trie")), 400, "invalid_argument", "legacy trie format"),
        ["prev_profile"] = new(() => IngestRequests.Ingest("/ingest?name=app", IngestRequests.Multipart(GoCpu(), previousProfile: GoCpu())), 400, "invalid_argument", "unsupported client version"),
        ["multipart without profile"] = new(() => IngestRequests.Ingest("/ingest?name=app", NoProfilePart()), 400, "invalid_argument", "no \"profile\" part"),
        ["multipart boundary too long"] = new(() => IngestRequests.Ingest("/ingest?name=app", LongBoundary()), 400, "invalid_argument", "longer than the 70 that RFC 2046 allows"),
        ["too many labels"] = new(() => IngestRequests.Ingest(Pprof[..^3] + "app%7Ba%3D1%2Cb%3D2%2Cc%3D3%2Cd%3D4%2Ce%3D5%7D", IngestRequests.Bytes(GoCpu())), 400, "invalid_argument", "Distributor:MaxLabelNamesPerSeries", Limit("MaxLabelNamesPerSeries", "5")),
        ["label value too long"] = new(() => IngestRequests.Ingest(Pprof + "%7Benv%3D" + new string('x', 3000) + "%7D", IngestRequests.Bytes(GoCpu())), 400, "invalid_argument", "Distributor:MaxLabelValueLength"),
        ["label name too long"] = new(() => IngestRequests.Ingest(Pprof + "%7B" + new string('k', 20) + "%3Dv%7D", IngestRequests.Bytes(GoCpu())), 400, "invalid_argument", "Distributor:MaxLabelNameLength", Limit("MaxLabelNameLength", "16")),
        ["too many samples"] = new(() => IngestRequests.Ingest(Pprof, IngestRequests.Bytes(GoCpu())), 413, "invalid_argument", "Distributor:MaxSamplesPerProfile", Limit("MaxSamplesPerProfile", "10")),
        ["location with too many lines"] = new(() => IngestRequests.Ingest(Pprof, IngestRequests.Bytes(HostileProfiles.InlinedStack(10, 1, 0))), 413, "invalid_argument", "Distributor:MaxLinesPerLocation", Limit("MaxLinesPerLocation", "4")),
        ["too many frames"] = new(() => IngestRequests.Ingest(Pprof, IngestRequests.Bytes(GoCpu())), 413, "invalid_argument", "Distributor:MaxFramesPerProfile", Limit("MaxFramesPerProfile", "100")),
        ["values overflowing int64"] = new(() => IngestRequests.Ingest(Pprof, IngestRequests.Bytes(HostileProfiles.Values(0, long.MaxValue, long.MaxValue))), 400, "invalid_argument", "\"cpu\" sum to more than 9223372036854775807: the total overflows int64"),
        ["body too large"] = new(() => IngestRequests.Ingest(Pprof, IngestRequests.Bytes(GoCpu())), 413, "invalid_argument", "Distributor:MaxRequestBodyBytes", Limit("MaxRequestBodyBytes", "4096")),
        ["chunked body too large"] = new(() => IngestRequests.Ingest(Pprof, Chunked(GoCpu())), 413, "invalid_argument", "Distributor:MaxRequestBodyBytes", Limit("MaxRequestBodyBytes", "4096")),
        ["push body too large"] = new(() => IngestRequests.Push(IngestRequests.PushOf(([("__name__", "process_cpu")], GoCpu()))), 400, "invalid_argument", "Distributor:MaxRequestBodyBytes", Limit("MaxRequestBodyBytes", "4096")),
        ["gzip request body too large"] = new(() => GzipEncoded(IngestRequests.Ingest("/ingest?name=app", IngestRequests.Text(string.Concat(Enumerable.Repeat("main;work 1\n", 1000))))), 413, "invalid_argument", "decompressed request body", Limit("MaxRequestBodyBytes", "4096")),
        ["unsupported content encoding"] = new(() => Encoded(IngestRequests.Ingest(Pprof, IngestRequests.Bytes(GoCpu())), "br"), 415, "unimplemented", "Content-Encoding 'br'"),
        ["push invalid json"] = new(() => IngestRequests.Ingest(PushApi.Route, IngestRequests.Bytes("{\"series\": [ nope"u8.ToArray(), "application/json")), 400, "invalid_argument", "invalid JSON PushRequest"),
        ["push invalid proto"] = new(() => IngestRequests.Ingest(PushApi.Route, IngestRequests.Bytes([0x0a, 0xff, 0xff, 0xff, 0x0f], "application/proto")), 400, "invalid_argument", "invalid protobuf PushRequest"),
        ["push without __name__"] = new(() => IngestRequests.Push(IngestRequests.PushOf(([("service_name", "svc")], GoCpu()))), 400, "invalid_argument", "invalid metric name"),
        ["push with bad __name__"] = new(() => IngestRequests.Push(IngestRequests.PushOf(([("__name__", "process-cpu")], GoCpu()))), 400, "invalid_argument", "invalid metric name 'process-cpu'"),
        ["push with bad profile id"] = new(() => IngestRequests.Push(WithId(IngestRequests.PushOf(([("__name__", "process_cpu")], GoCpu())), "not-a-uuid")), 400, "invalid_argument", "not a UUID"),
        ["missing tenant"] = new(() => IngestRequests.Ingest(Pprof, IngestRequests.Bytes(GoCpu())), 401, "unauthenticated", "no org id", Limit("MultitenancyEnabled", "true")),
        ["missing tenant on push"] = new(() => IngestRequests.Push(IngestRequests.PushOf(([("__name__", "process_cpu")], GoCpu()))), 401, "unauthenticated", "no org id", Limit("MultitenancyEnabled", "true")),
        ["invalid tenant"] = new(() => IngestRequests.Ingest(Pprof, IngestRequests.Bytes(GoCpu()), tenant: "team/a"), 400, "invalid_argument", "tenant id 'team/a' contains unsupported character '/'", Limit("MultitenancyEnabled", "true")),
        ["dot-dot tenant"] = new(() => IngestRequests.Ingest(Pprof, IngestRequests.Bytes(GoCpu()), tenant: ".."), 400, "invalid_argument", "tenant id '..' is not allowed", Limit("MultitenancyEnabled", "true")),
        ["too long tenant"] = new(() => IngestRequests.Ingest(Pprof, IngestRequests.Bytes(GoCpu()), tenant: new string('t', 151)), 400, "invalid_argument", "tenant id is too long", Limit("MultitenancyEnabled", "true")),
    };

    public static TheoryData<string> CaseNames => [.. Cases.Keys];

    [Theory]
    [MemberData(nameof(CaseNames))]
    public async Task BadRequest_IsRejectedWithItsStatusAndReason_AndTheServerKeepsServing(string name)
    {
        var c = Cases[name];
        var settings = new Dictionary<string, string?>();
        if (c.Setting is { } setting)
        {
            settings[setting.Key] = setting.Value;
        }

        await using var host = await DistributorHost.StartAsync(settings);
        var answer = await host.SendAsync(c.Request());
        TestContext.Current.TestOutputHelper?.WriteLine($"{answer.Status} {answer.Code}: {answer.Message}");

        Assert.Equal(c.Status, answer.Status);
        Assert.Equal("application/json", answer.ContentType);
        Assert.Equal(c.Code, answer.Code);
        Assert.Contains(c.MessagePart, answer.Message, StringComparison.Ordinal);
        Assert.Empty(host.Writer.Requests);
        Assert.Contains(host.Logs.Entries, e => e.EventId.Id == 4010 && e.Level == LogLevel.Information && e.Message.Contains(c.MessagePart, StringComparison.Ordinal));

        var good = await host.SendAsync(IngestRequests.Ingest("/ingest?name=after-the-rejection", IngestRequests.Text("main;work 3\n"), tenant: "tenant-1"));
        Assert.Equal(200, good.Status);
        Assert.Single(host.Writer.Requests);
    }

    private static KeyValuePair<string, string?> Limit(string option, string value) => new("Distributor:" + option, value);

    private static byte[] GoCpu() => Corpus.ReadProfile("go-cpu.pb.gz");

    /// <summary>8 MiB of zeros, gzipped to a few KiB.</summary>
    private static byte[] Bomb() => IngestRequests.Gzip(new byte[8 * 1024 * 1024]);

    private static MultipartFormDataContent NoProfilePart()
    {
        var content = new MultipartFormDataContent();
        content.Add(IngestRequests.Bytes(Encoding.UTF8.GetBytes("{}"), "application/json"), "sample_type_config", "sample_type_config.json");
        return content;
    }

    /// <summary>A multipart body whose boundary has 20,000 characters (HttpClient's own multipart type refuses more than 70).</summary>
    private static ByteArrayContent LongBoundary()
    {
        var boundary = new string('b', 20_000);
        var body = Encoding.UTF8.GetBytes($"--{boundary}\r\nContent-Disposition: form-data; name=\"profile\"\r\n\r\nx\r\n--{boundary}--\r\n");
        var content = new ByteArrayContent(body);
        content.Headers.TryAddWithoutValidation("Content-Type", $"multipart/form-data; boundary={boundary}");
        return content;
    }

    private static StreamContent Chunked(byte[] body)
    {
        var content = new StreamContent(new NonSeekableStream(body));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return content;
    }

    private static HttpRequestMessage GzipEncoded(HttpRequestMessage request)
    {
        var body = request.Content!.ReadAsByteArrayAsync().GetAwaiter().GetResult();
        var content = IngestRequests.Bytes(IngestRequests.Gzip(body), "text/plain");
        request.Content = content;
        return Encoded(request, "gzip");
    }

    private static HttpRequestMessage Encoded(HttpRequestMessage request, string encoding)
    {
        request.Content!.Headers.ContentEncoding.Add(encoding);
        return request;
    }

    private static Protos.Push.PushRequest WithId(Protos.Push.PushRequest push, string id)
    {
        push.Series[0].Samples[0].ID = id;
        return push;
    }

    private sealed record Case(
        Func<HttpRequestMessage> Request, int Status, string Code, string MessagePart, KeyValuePair<string, string?>? Setting = null);

    /// <summary>A stream without a length, so the client sends the body chunked.</summary>
    private sealed class NonSeekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}
