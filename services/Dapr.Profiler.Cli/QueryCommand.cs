using System.Globalization;
using Dapr.Profiler.Model;
using Dapr.Profiler.Protos.Querier;
using Dapr.Profiler.Protos.Types;
using Google.Protobuf;

namespace Dapr.Profiler.Cli;

/// <summary>
/// <c>dprof query merge|series|labels|profile-types</c>: asks a running server through Pyroscope's public query API
/// (<c>querier.v1</c> over Connect), the same calls Grafana makes.
/// </summary>
internal static class QueryCommand
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static async Task<int> RunAsync(Arguments args, TextWriter output)
    {
        var what = args.RequiredPositional(0, "what to query (merge, series, labels or profile-types)");
        var now = DateTimeOffset.UtcNow;
        var from = AtTime.Parse(args.Option("from") ?? "now-1h", now).ToUnixTimeMilliseconds();
        var to = AtTime.Parse(args.Option("to") ?? "now", now).ToUnixTimeMilliseconds();
        var selector = args.Option("query") ?? "{}";
        using var client = new QuerierClient(new HttpClient { BaseAddress = UploadCommand.BaseUrl(args) }, args.Option("tenant"));
        var ct = CancellationToken.None;
        switch (what)
        {
            case "profile-types":
                var types = await client.CallAsync<ProfileTypesRequest, ProfileTypesResponse>("ProfileTypes", new ProfileTypesRequest { Start = from, End = to }, ct);
                foreach (var type in types.ProfileTypes)
                {
                    output.WriteLine(type.ID);
                }

                return 0;
            case "labels":
                return await LabelsAsync(client, args, selector, from, to, output);
            case "merge":
                return await MergeAsync(client, args, selector, from, to, output);
            case "series":
                return await SeriesAsync(client, args, selector, from, to, output);
            default:
                throw new UsageException($"unknown query \"{what}\" (merge, series, labels, profile-types)");
        }
    }

    private static string ProfileType(Arguments args) =>
        args.Option("profile-type") ?? throw new UsageException("--profile-type is required, e.g. process_cpu:cpu:nanoseconds:cpu:nanoseconds");

    private static async Task<int> LabelsAsync(QuerierClient client, Arguments args, string selector, long from, long to, TextWriter output)
    {
        if (args.Option("name") is { } name)
        {
            var request = new LabelValuesRequest { Name = name, Start = from, End = to, Matchers = { selector } };
            var values = await client.CallAsync<LabelValuesRequest, LabelValuesResponse>("LabelValues", request, CancellationToken.None);
            values.Names.ToList().ForEach(output.WriteLine);
        }
        else
        {
            var request = new LabelNamesRequest { Start = from, End = to, Matchers = { selector } };
            var names = await client.CallAsync<LabelNamesRequest, LabelNamesResponse>("LabelNames", request, CancellationToken.None);
            names.Names.ToList().ForEach(output.WriteLine);
        }

        return 0;
    }

    private static async Task<int> MergeAsync(QuerierClient client, Arguments args, string selector, long from, long to, TextWriter output)
    {
        var profileType = ProfileType(args);
        if (args.Option("output") is { } path)
        {
            var request = new SelectMergeProfileRequest { ProfileTypeID = profileType, LabelSelector = selector, Start = from, End = to };
            var profile = await client.CallAsync<SelectMergeProfileRequest, Protos.Pprof.Profile>("SelectMergeProfile", request, CancellationToken.None);
            await using (var file = File.Create(path))
            await using (var gzip = new System.IO.Compression.GZipStream(file, System.IO.Compression.CompressionLevel.Optimal))
            {
                profile.WriteTo(gzip);
            }

            output.WriteLine(string.Create(Inv, $"wrote {path}: {profile.Sample.Count} samples, {profile.Function.Count} functions"));
            return 0;
        }

        var merge = new SelectMergeStacktracesRequest { ProfileTypeID = profileType, LabelSelector = selector, Start = from, End = to };
        if (args.LongOption("max-nodes") is { } maxNodes)
        {
            merge.MaxNodes = maxNodes;
        }

        var response = await client.CallAsync<SelectMergeStacktracesRequest, SelectMergeStacktracesResponse>("SelectMergeStacktraces", merge, CancellationToken.None);
        var graph = response.Flamegraph ?? new FlameGraph();
        if (args.Option("format") == "json")
        {
            output.WriteLine(JsonFormatter.Default.Format(graph));
            return 0;
        }

        var tree = FlameGraphDecoder.Decode(graph);
        output.WriteLine(string.Create(Inv, $"total: {graph.Total}"));
        var self = InspectCommand.SelfByFunction(tree).OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).Take(20);
        foreach (var (name, value) in self)
        {
            output.WriteLine(string.Create(Inv, $"  {value,20} {(graph.Total == 0 ? 0 : 100.0 * value / graph.Total),6:0.0}%  {name}"));
        }

        return 0;
    }

    private static async Task<int> SeriesAsync(QuerierClient client, Arguments args, string selector, long from, long to, TextWriter output)
    {
        var step = double.Parse(args.Option("step") ?? "15", Inv);
        var request = new SelectSeriesRequest { ProfileTypeID = ProfileType(args), LabelSelector = selector, Start = from, End = to, Step = step };
        if (args.Option("group-by") is { } groupBy)
        {
            request.GroupBy.AddRange(groupBy.Split(',', StringSplitOptions.RemoveEmptyEntries));
        }

        var response = await client.CallAsync<SelectSeriesRequest, SelectSeriesResponse>("SelectSeries", request, CancellationToken.None);
        foreach (var series in response.Series)
        {
            output.WriteLine("{" + string.Join(", ", series.Labels.Select(l => $"{l.Name}=\"{l.Value}\"")) + "}");
            foreach (var point in series.Points)
            {
                output.WriteLine(string.Create(Inv, $"  {DateTimeOffset.FromUnixTimeMilliseconds(point.Timestamp):yyyy-MM-ddTHH:mm:ssZ} {point.Value}"));
            }
        }

        return 0;
    }
}
