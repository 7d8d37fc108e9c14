using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using Dapr.Profiler.Protos.Querier;
using Dapr.Profiler.Protos.Types;
using Google.Protobuf;

namespace Dapr.Profiler.Cli.Chaos;

/// <summary>
/// Real profiles pushed before a campaign under a service and label the campaign never uses, and the answers of a
/// few queries over them; the same queries asked after the campaign must answer exactly the same.
/// </summary>
internal sealed class ChaosBaseline
{
    /// <summary>The baseline's service; campaign services all start with <see cref="ChaosGenerator.ServicePrefix"/>.</summary>
    public const string Service = "dprof-baseline";

    /// <summary>A label only the baseline sets, whose value names the run.</summary>
    public const string RunLabel = "dprof_baseline_run";

    private const int Profiles = 6;
    private const long SpacingSeconds = 10;
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private static readonly TimeSpan VisibleWithin = TimeSpan.FromSeconds(60);

    private readonly HttpClient _http;
    private readonly string _run;
    private readonly long _firstSeconds;

    public ChaosBaseline(HttpClient http, int seed, long nowSeconds)
    {
        _http = http;
        _run = string.Create(Inv, $"seed{seed}-{nowSeconds}");
        _firstSeconds = nowSeconds - 1_800;
    }

    private string Selector => $"{{service_name=\"{Service}\",{RunLabel}=\"{_run}\"}}";

    private long StartMs => (_firstSeconds - SpacingSeconds) * 1000;

    private long EndMs => (_firstSeconds + (Profiles + 1) * SpacingSeconds) * 1000;

    /// <summary>Pushes the baseline profiles (CPU profiles of the corpus, <see cref="SpacingSeconds"/> apart) and waits until every one is visible.</summary>
    /// <exception cref="IOException">A push failed, or the profiles did not all become visible.</exception>
    public async Task PushAsync(IReadOnlyList<byte[]> cpuTemplates, CancellationToken cancellationToken)
    {
        for (var i = 0; i < Profiles; i++)
        {
            var seconds = _firstSeconds + (i * SpacingSeconds);
            var body = QueryBench.Body(cpuTemplates[i % cpuTemplates.Count], seconds * 1_000_000_000);
            var name = Uri.EscapeDataString($"{Service}{{{RunLabel}={_run}}}");
            for (var attempt = 1; ; attempt++)
            {
                using var content = new ByteArrayContent(body);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                using var response = await _http.PostAsync(string.Create(Inv, $"ingest?name={name}&format=pprof&from={seconds}&spyName=gospy"), content, cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    break;
                }

                if (response.StatusCode != HttpStatusCode.TooManyRequests || attempt == 20)
                {
                    throw new IOException($"baseline push {i} failed with HTTP {(int)response.StatusCode}: {(await response.Content.ReadAsStringAsync(cancellationToken)).Trim()}");
                }

                await Task.Delay(response.Headers.RetryAfter?.Delta ?? TimeSpan.FromMilliseconds(200), cancellationToken);
            }
        }

        // Acknowledged pushes are durable; wait (polling the answer, bounded) until the index shows every one.
        var deadline = DateTime.UtcNow + VisibleWithin;
        while (await PointsAsync(cancellationToken) < Profiles)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new IOException($"the {Profiles} baseline profiles were not all visible to SelectSeries within {VisibleWithin.TotalSeconds:0} s");
            }

            await Task.Delay(100, cancellationToken);
        }
    }

    /// <summary>The answers, by query name, in a canonical text form.</summary>
    public async Task<IReadOnlyList<(string Query, string Answer)>> AnswersAsync(CancellationToken cancellationToken)
    {
        var merge = await CallAsync<SelectMergeStacktracesRequest, SelectMergeStacktracesResponse>(
            "SelectMergeStacktraces", new SelectMergeStacktracesRequest { ProfileTypeID = QuerierCalls.CpuType, LabelSelector = Selector, Start = StartMs, End = EndMs }, cancellationToken);
        var graph = merge.Flamegraph ?? new FlameGraph();
        var names = string.Join('\n', graph.Names.Order(StringComparer.Ordinal));

        var series = await SeriesAsync(cancellationToken);
        var points = string.Join(' ', series.Series.SelectMany(s => s.Points).Select(p => string.Create(Inv, $"{p.Timestamp}={p.Value:R}")));

        var runs = new LabelValuesRequest { Name = RunLabel, Start = StartMs, End = EndMs };
        runs.Matchers.Add($"{{service_name=\"{Service}\"}}");
        var runValues = await CallAsync<LabelValuesRequest, LabelValuesResponse>("LabelValues", runs, cancellationToken);

        var services = new LabelValuesRequest { Name = "service_name", Start = StartMs, End = EndMs };
        services.Matchers.Add($"{{{RunLabel}=\"{_run}\"}}");
        var serviceValues = await CallAsync<LabelValuesRequest, LabelValuesResponse>("LabelValues", services, cancellationToken);

        return
        [
            ("flame graph total", string.Create(Inv, $"{graph.Total}")),
            ("flame graph names", string.Create(Inv, $"{graph.Names.Count} names, {graph.Levels.Count} levels:\n{names}")),
            ("series values", points),
            ($"label values of {RunLabel}", string.Join(',', runValues.Names.Where(n => n == _run))),
            ("label values of service_name", string.Join(',', serviceValues.Names)),
        ];
    }

    private async Task<int> PointsAsync(CancellationToken cancellationToken) => (await SeriesAsync(cancellationToken)).Series.Sum(s => s.Points.Count);

    private Task<SelectSeriesResponse> SeriesAsync(CancellationToken cancellationToken) =>
        CallAsync<SelectSeriesRequest, SelectSeriesResponse>(
            "SelectSeries", new SelectSeriesRequest { ProfileTypeID = QuerierCalls.CpuType, LabelSelector = Selector, Start = StartMs, End = EndMs, Step = 1 }, cancellationToken);

    private async Task<TResponse> CallAsync<TRequest, TResponse>(string method, TRequest request, CancellationToken cancellationToken)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse>, new()
    {
        using var content = new ByteArrayContent(request.ToByteArray());
        content.Headers.ContentType = new MediaTypeHeaderValue("application/proto");
        using var response = await _http.PostAsync(QuerierCalls.ServicePath.TrimStart('/') + method, content, cancellationToken);
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new IOException($"baseline query {method} failed with HTTP {(int)response.StatusCode}: {System.Text.Encoding.UTF8.GetString(body).Trim()}");
        }

        var message = new TResponse();
        message.MergeFrom(body);
        return message;
    }
}
