using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Dapr.Profiler.Model;
using Dapr.Profiler.Protos.Pprof;
using Dapr.Profiler.Protos.Querier;
using Dapr.Profiler.Protos.Types;
using Dapr.Profiler.Server.FunctionalTests.Hosting;
using Google.Protobuf;

namespace Dapr.Profiler.Server.FunctionalTests.Support;

/// <summary>
/// A client of the public query API as Grafana uses it: <c>querier.v1.QuerierService</c> over Connect unary (binary
/// <c>application/proto</c>, or protojson) and the legacy <c>/pyroscope/*</c> render API, optionally as a tenant
/// (<c>X-Scope-OrgID</c>). Times are Unix milliseconds.
/// </summary>
public sealed class Querier(IProfilerServer server, string? tenant = null)
{
    public const string ServicePath = "querier.v1.QuerierService/";

    /// <summary>A Connect call as it is answered: status, content type and body bytes, nothing asserted.</summary>
    public async Task<Answer> PostAsync(string method, IMessage request, bool json = false)
    {
        ArgumentNullException.ThrowIfNull(request);
        var body = json ? Encoding.UTF8.GetBytes(JsonFormatter.Default.Format(request)) : request.ToByteArray();
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue(json ? "application/json" : "application/proto");
        using var message = new HttpRequestMessage(HttpMethod.Post, new Uri(ServicePath + method, UriKind.Relative)) { Content = content };
        message.Headers.Add("Connect-Protocol-Version", "1");
        if (tenant is not null)
        {
            message.Headers.Add("X-Scope-OrgID", tenant);
        }

        using var response = await server.Client.SendAsync(message);
        return await Answer.ReadAsync(response);
    }

    /// <summary>A binary Connect call that must succeed; the answer parsed with <paramref name="parser"/>.</summary>
    public async Task<T> CallAsync<T>(string method, IMessage request, MessageParser<T> parser)
        where T : IMessage<T>
    {
        ArgumentNullException.ThrowIfNull(parser);
        var answer = await PostAsync(method, request);
        Assert.True(answer.StatusCode == 200, $"{method} as {tenant ?? "(no tenant)"}: {answer}\n{server.Logs}");
        Assert.Equal("application/proto", answer.ContentType);
        return parser.ParseFrom(answer.Body);
    }

    public async Task<IReadOnlyList<string>> ProfileTypesAsync(long start, long end) =>
        (await CallAsync("ProfileTypes", new ProfileTypesRequest { Start = start, End = end }, ProfileTypesResponse.Parser))
        .ProfileTypes.Select(t => t.ID).ToArray();

    public async Task<IReadOnlyList<string>> LabelNamesAsync(string selector, long start, long end) =>
        (await CallAsync("LabelNames", new LabelNamesRequest { Matchers = { selector }, Start = start, End = end }, LabelNamesResponse.Parser))
        .Names.ToArray();

    public async Task<IReadOnlyList<string>> LabelValuesAsync(string name, string selector, long start, long end) =>
        (await CallAsync("LabelValues", new LabelValuesRequest { Name = name, Matchers = { selector }, Start = start, End = end }, LabelValuesResponse.Parser))
        .Names.ToArray();

    /// <summary>Series as <c>name=value,…</c> strings, labels in name order.</summary>
    public async Task<IReadOnlyList<string>> SeriesAsync(IEnumerable<string> labelNames, string selector, long start, long end)
    {
        var request = new SeriesRequest { Matchers = { selector }, Start = start, End = end };
        request.LabelNames.AddRange(labelNames);
        var response = await CallAsync("Series", request, SeriesResponse.Parser);
        return response.LabelsSet.Select(s => string.Join(',', s.Labels_.OrderBy(l => l.Name, StringComparer.Ordinal).Select(l => l.Name + "=" + l.Value))).ToArray();
    }

    public static SelectMergeStacktracesRequest MergeRequest(string profileType, string selector, long start, long end) =>
        new() { ProfileTypeID = profileType, LabelSelector = selector, Start = start, End = end };

    /// <summary>SelectMergeStacktraces: the merged flame graph (the empty one when nothing matches).</summary>
    public async Task<FlameGraph> MergeAsync(string profileType, string selector, long start, long end) =>
        (await CallAsync("SelectMergeStacktraces", MergeRequest(profileType, selector, start, end), SelectMergeStacktracesResponse.Parser))
        .Flamegraph ?? new FlameGraph();

    /// <summary>SelectMergeProfile: the merged pprof (not gzipped inside the Connect body).</summary>
    public Task<Profile> MergeProfileAsync(string profileType, string selector, long start, long end) =>
        CallAsync(
            "SelectMergeProfile",
            new SelectMergeProfileRequest { ProfileTypeID = profileType, LabelSelector = selector, Start = start, End = end },
            Profile.Parser);

    public Task<SelectSeriesResponse> SelectSeriesAsync(string profileType, string selector, long start, long end, double step, params string[] groupBy) =>
        CallAsync(
            "SelectSeries",
            new SelectSeriesRequest { ProfileTypeID = profileType, LabelSelector = selector, Start = start, End = end, Step = step, GroupBy = { groupBy } },
            SelectSeriesResponse.Parser);

    public async Task<FlameGraphDiff> DiffAsync(SelectMergeStacktracesRequest left, SelectMergeStacktracesRequest right) =>
        (await CallAsync("Diff", new DiffRequest { Left = left, Right = right }, DiffResponse.Parser)).Flamegraph ?? new FlameGraphDiff();

    public Task<GetProfileStatsResponse> ProfileStatsAsync() => CallAsync("GetProfileStats", new GetProfileStatsRequest(), GetProfileStatsResponse.Parser);

    /// <summary>A GET of the render API, as it is answered.</summary>
    public async Task<Answer> GetAsync(string pathAndQuery)
    {
        using var message = new HttpRequestMessage(HttpMethod.Get, new Uri(pathAndQuery.TrimStart('/'), UriKind.Relative));
        if (tenant is not null)
        {
            message.Headers.Add("X-Scope-OrgID", tenant);
        }

        using var response = await server.Client.SendAsync(message);
        return await Answer.ReadAsync(response);
    }

    /// <summary><c>GET /pyroscope/render?query=TYPE{selector}&amp;from=&amp;until=</c>: the flamebearer JSON, which must be 200.</summary>
    public async Task<JsonElement> RenderAsync(string profileType, string selector, long from, long until)
    {
        var answer = await GetAsync(RenderPath(profileType, selector, from, until));
        Assert.True(answer.StatusCode == 200, $"render as {tenant ?? "(no tenant)"}: {answer}\n{server.Logs}");
        using var doc = JsonDocument.Parse(answer.Body);
        return doc.RootElement.Clone();
    }

    public static string RenderPath(string profileType, string selector, long from, long until) =>
        FormattableString.Invariant($"/pyroscope/render?query={Uri.EscapeDataString(profileType + selector)}&from={from}&until={until}");

    /// <summary>The flame graph's self values summed per function name (frame), as an independent reader counts self.</summary>
    public static IReadOnlyDictionary<string, long> SelfByFunction(FlameGraph graph)
    {
        var self = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (path, value, _) in FlameGraphDecoder.Decode(graph).Nodes())
        {
            if (value != 0)
            {
                self[path[^1]] = self.GetValueOrDefault(path[^1]) + value;
            }
        }

        return self;
    }

    /// <summary>The sum of every point of every series.</summary>
    public static double PointSum(SelectSeriesResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        return response.Series.SelectMany(s => s.Points).Sum(p => p.Value);
    }
}
