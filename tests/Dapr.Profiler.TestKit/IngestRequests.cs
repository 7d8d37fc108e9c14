using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Dapr.Profiler.Protos.Push;
using Dapr.Profiler.Protos.Types;
using Google.Protobuf;

namespace Dapr.Profiler.TestKit;

/// <summary>Builds the ingest requests real Pyroscope clients send (<c>/ingest</c> forms and Connect <c>push.v1</c>).</summary>
public static class IngestRequests
{
    /// <summary>The Connect unary route of <c>push.v1.PusherService/Push</c>.</summary>
    public const string PushRoute = "/push.v1.PusherService/Push";

    /// <summary>The URL a real client used, from a corpus <c>.request.json</c> capture.</summary>
    public static string CapturedUrl(string corpusFile) => Captured(corpusFile, "url");

    /// <summary>The Content-Type a real client used (with the multipart boundary), from a corpus capture.</summary>
    public static string CapturedContentType(string corpusFile) => Captured(corpusFile, "contentType");

    /// <summary>
    /// A POST to <paramref name="pathAndQuery"/>, relative to the client's base address (so a base address with a
    /// path prefix is kept), with the tenant in <c>X-Scope-OrgID</c> when given.
    /// </summary>
    public static HttpRequestMessage Ingest(string pathAndQuery, HttpContent content, string? tenant = null)
    {
        ArgumentNullException.ThrowIfNull(pathAndQuery);
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(pathAndQuery.TrimStart('/'), UriKind.Relative)) { Content = content };
        if (tenant is not null)
        {
            request.Headers.Add("X-Scope-OrgID", tenant);
        }

        return request;
    }

    public static ByteArrayContent Bytes(byte[] body, string contentType = "application/octet-stream")
    {
        var content = new ByteArrayContent(body);
        // Added without validation: a captured multipart Content-Type is replayed exactly as the client sent it.
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        return content;
    }

    public static ByteArrayContent Text(string body) => Bytes(Encoding.UTF8.GetBytes(body), "text/plain");

    /// <summary>
    /// A multipart body as pyroscope-go builds it: file parts <c>profile</c> and, when given, <c>prev_profile</c> and
    /// <c>sample_type_config</c>.
    /// </summary>
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

    /// <summary>
    /// A Connect unary push, binary (<c>application/proto</c>, as pyroscope-dotnet) or protojson, optionally with a
    /// gzip <c>Content-Encoding</c>.
    /// </summary>
    public static HttpRequestMessage Push(PushRequest push, bool json = false, bool gzip = false, string? tenant = null)
    {
        ArgumentNullException.ThrowIfNull(push);
        var body = json ? Encoding.UTF8.GetBytes(JsonFormatter.Default.Format(push)) : push.ToByteArray();
        var content = Bytes(gzip ? Gzip(body) : body, json ? "application/json" : "application/proto");
        if (gzip)
        {
            content.Headers.ContentEncoding.Add("gzip");
        }

        return Ingest(PushRoute, content, tenant);
    }

    /// <summary>One series per entry, each with one raw profile.</summary>
    public static PushRequest PushOf(params (IReadOnlyList<(string Name, string Value)> Labels, byte[] Profile)[] series)
    {
        ArgumentNullException.ThrowIfNull(series);
        var push = new PushRequest();
        foreach (var (labels, profile) in series)
        {
            var s = new RawProfileSeries();
            foreach (var (name, value) in labels)
            {
                s.Labels.Add(new LabelPair { Name = name, Value = value });
            }

            s.Samples.Add(new RawSample { RawProfile = ByteString.CopyFrom(profile) });
            push.Series.Add(s);
        }

        return push;
    }

    public static byte[] Gzip(byte[] data, CompressionLevel level = CompressionLevel.Fastest)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, level))
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

    private static string Captured(string corpusFile, string property)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Corpus.ProfilePath(corpusFile + ".request.json")));
        return doc.RootElement.GetProperty(property).GetString()
            ?? throw new InvalidDataException($"{corpusFile}.request.json has no {property}");
    }
}
