using System.IO.Compression;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Dapr.Profiler.Protos.SegmentWriter;
using Dapr.Profiler.TestKit;
using Google.Protobuf;
using PushV1 = Dapr.Profiler.Protos.Push;

namespace Dapr.Profiler.Distributor.Tests;

/// <summary>Builds the requests real clients send.</summary>
internal static class Requests
{
    /// <summary>The URL a real client used, from a corpus <c>.request.json</c> capture.</summary>
    public static string CapturedUrl(string corpusFile)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Corpus.ProfilePath(corpusFile + ".request.json")));
        return doc.RootElement.GetProperty("url").GetString()!;
    }

    /// <summary>The Content-Type a real client used, from a corpus <c>.request.json</c> capture.</summary>
    public static string CapturedContentType(string corpusFile)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Corpus.ProfilePath(corpusFile + ".request.json")));
        return doc.RootElement.GetProperty("contentType").GetString()!;
    }

    public static HttpRequestMessage Ingest(string pathAndQuery, HttpContent content, string? tenant = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, pathAndQuery) { Content = content };
        if (tenant is not null)
        {
            request.Headers.Add("X-Scope-OrgID", tenant);
        }

        return request;
    }

    public static ByteArrayContent Bytes(byte[] body, string contentType = "application/octet-stream")
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        return content;
    }

    public static ByteArrayContent Text(string body) => Bytes(Encoding.UTF8.GetBytes(body), "text/plain");

    /// <summary>A multipart body as pyroscope-go builds it: file parts <c>profile</c> and optional <c>sample_type_config</c>.</summary>
    public static MultipartFormDataContent Multipart(byte[] profile, string? sampleTypeConfig = null, byte[]? previousProfile = null)
    {
        var content = new MultipartFormDataContent();
        content.Add(Bytes(profile), "profile", "profile.pprof");
        if (previousProfile is not null)
        {
            content.Add(Bytes(previousProfile), "prev_profile", "profile.pprof");
        }

        if (sampleTypeConfig is not null)
        {
            content.Add(Bytes(Encoding.UTF8.GetBytes(sampleTypeConfig), "application/json"), "sample_type_config", "sample_type_config.json");
        }

        return content;
    }

    public static HttpRequestMessage Push(PushV1.PushRequest push, bool json = false, bool gzip = false, string? tenant = null)
    {
        var body = json ? Encoding.UTF8.GetBytes(JsonFormatter.Default.Format(push)) : push.ToByteArray();
        var content = Bytes(gzip ? Gzip(body) : body, json ? "application/json" : "application/proto");
        if (gzip)
        {
            content.Headers.ContentEncoding.Add("gzip");
        }

        return Ingest(PushApi.Route, content, tenant);
    }

    public static PushV1.PushRequest PushOf(params (IReadOnlyList<(string Name, string Value)> Labels, byte[] Profile)[] series)
    {
        var push = new PushV1.PushRequest();
        foreach (var (labels, profile) in series)
        {
            var s = new PushV1.RawProfileSeries();
            foreach (var (name, value) in labels)
            {
                s.Labels.Add(new Protos.Types.LabelPair { Name = name, Value = value });
            }

            s.Samples.Add(new PushV1.RawSample { RawProfile = ByteString.CopyFrom(profile) });
            push.Series.Add(s);
        }

        return push;
    }

    public static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest))
        {
            gzip.Write(data);
        }

        return output.ToArray();
    }

    public static byte[] Gunzip(byte[] data)
    {
        using var input = new GZipStream(new MemoryStream(data), CompressionMode.Decompress);
        using var output = new MemoryStream();
        input.CopyTo(output);
        return output.ToArray();
    }

    /// <summary>The labels of every series of every captured push, as dictionaries.</summary>
    public static IReadOnlyList<Dictionary<string, string>> SeriesLabels(IEnumerable<PushRequest> pushes) =>
        pushes.SelectMany(p => p.Series).Select(s => s.Labels.ToDictionary(l => l.Name, l => l.Value)).ToArray();

    public static string[] ProfileTypes(IEnumerable<PushRequest> pushes) =>
        pushes.SelectMany(p => p.Series).Select(s => s.ProfileType).Order(StringComparer.Ordinal).ToArray();
}
