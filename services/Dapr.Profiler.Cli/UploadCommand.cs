using System.Globalization;
using System.Net.Http.Headers;
using Dapr.Profiler.Model;

namespace Dapr.Profiler.Cli;

/// <summary><c>dprof upload FILE --url URL --name app{k=v}</c>: sends a profile to <c>/ingest</c> as Pyroscope clients do.</summary>
internal static class UploadCommand
{
    public static async Task<int> RunAsync(Arguments args, TextWriter output)
    {
        var path = args.RequiredPositional(0, "FILE");
        var name = args.Option("name") ?? throw new UsageException("--name is required, e.g. --name 'app{env=prod}'");
        var url = BaseUrl(args);
        var file = ProfileFile.Load(path);
        var body = await File.ReadAllBytesAsync(path);
        var format = file.Format == "folded" ? "folded" : "pprof";
        var from = AtTime.Parse(args.Option("from"), DateTimeOffset.UtcNow).ToUnixTimeSeconds();
        var query = string.Create(CultureInfo.InvariantCulture, $"ingest?name={Uri.EscapeDataString(name)}&format={format}&from={from}&spyName=dprof");
        using var http = new HttpClient { BaseAddress = url };
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue(format == "pprof" ? "application/octet-stream" : "text/plain");
        using var request = new HttpRequestMessage(HttpMethod.Post, query) { Content = content };
        if (args.Option("tenant") is { } tenant)
        {
            request.Headers.Add("X-Scope-OrgID", tenant);
        }

        using var response = await http.SendAsync(request);
        if (!response.IsSuccessStatusCode)
        {
            var text = await response.Content.ReadAsStringAsync();
            throw new IOException($"upload failed with HTTP {(int)response.StatusCode}: {text.Trim()}");
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"uploaded {path} ({format}, {body.Length} bytes) as {name}"));
        return 0;
    }

    public static Uri BaseUrl(Arguments args) => new((args.Option("url") ?? "http://127.0.0.1:4040").TrimEnd('/') + "/");
}
