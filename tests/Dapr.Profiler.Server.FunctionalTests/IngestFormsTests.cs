using System.Globalization;
using System.Text;
using Dapr.Profiler.Block;
using Dapr.Profiler.Server.FunctionalTests.Hosting;
using Dapr.Profiler.Server.FunctionalTests.Support;
using Dapr.Profiler.TestKit;

namespace Dapr.Profiler.Server.FunctionalTests;

/// <summary>
/// Every ingest form, replayed with real profiles against the whole server at its default segment duration
/// (500 ms): the push is acknowledged with 200 and an empty body, the index shows the service, its profile types
/// and one profile row per series, and the object in the bucket holds the totals an independent reader computed.
/// </summary>
public sealed class IngestFormsTests
{
    private const string Anonymous = "anonymous";
    private const string CpuNanoseconds = "process_cpu:cpu:nanoseconds:cpu:nanoseconds";
    private const long HundredHertzPeriod = 10_000_000;

    /// <summary>The <c>from</c> of the text uploads (seconds, and milliseconds for lines): an hour ago.</summary>
    private static readonly long TextFromSeconds = DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 3600;

    private static readonly Dictionary<string, Form> Forms = new()
    {
        ["node 0.6.4 raw wall (captured URL)"] = Pprof(
            "node-wall.pb.gz",
            "node-corpus",
            () => IngestRequests.Ingest(IngestRequests.CapturedUrl("node-wall.pb.gz"), IngestRequests.Bytes(Corpus.ReadProfile("node-wall.pb.gz"))),
            ("env", "test"),
            ("pyroscope_spy", "nodespy")),
        ["node 0.6.4 raw heap (captured URL)"] = Pprof(
            "node-heap.pb.gz",
            "node-corpus",
            () => IngestRequests.Ingest(IngestRequests.CapturedUrl("node-heap.pb.gz"), IngestRequests.Bytes(Corpus.ReadProfile("node-heap.pb.gz"))),
            ("env", "test")),
        ["node 0.6.1 multipart (replayed byte for byte)"] = Pprof(
            "node-0.6.1-multipart.bin",
            "node-corpus",
            () => IngestRequests.Ingest(
                IngestRequests.CapturedUrl("node-0.6.1-multipart.bin"),
                IngestRequests.Bytes(Corpus.ReadProfile("node-0.6.1-multipart.bin"), IngestRequests.CapturedContentType("node-0.6.1-multipart.bin"))),
            ("otel_scope_version", "0.6.1")),
        ["go multipart via /ingest without format"] = Pprof(
            "go-cpu.pb.gz",
            "go-app",
            () => IngestRequests.Ingest(
                PyroscopeGo.IngestUrl("go-app", 1_795_239_800_000_000_000, ("env", "prod")),
                IngestRequests.Multipart(Corpus.ReadProfile("go-cpu.pb.gz"))),
            ("env", "prod"),
            ("pyroscope_spy", "gospy")),
        ["raw gzip pprof with format=pprof"] = Pprof(
            "go-heap.pb.gz",
            "raw-app",
            () => IngestRequests.Ingest("/pyroscope/ingest?format=pprof&name=raw-app%7Bregion%3Deu%7D&spyName=gospy", IngestRequests.Bytes(Corpus.ReadProfile("go-heap.pb.gz"))),
            ("region", "eu")),
        ["folded with name=app.cpu"] = new(
            () => IngestRequests.Ingest($"/ingest?name=folded-app.cpu%7Benv%3Dstaging%7D&spyName=pyspy&from={TextFromSeconds}", IngestRequests.Text(FoldedText())),
            "folded-app",
            new Dictionary<string, long> { [CpuNanoseconds] = FoldedSamples() * HundredHertzPeriod },
            [("env", "staging"), ("pyroscope_spy", "pyspy")],
            TextFromSeconds * 1_000_000_000),
        ["lines"] = new(
            () => IngestRequests.Ingest($"/ingest?name=lines-app&format=lines&from={TextFromSeconds * 1000}", IngestRequests.Text(LinesText())),
            "lines-app",
            new Dictionary<string, long> { [CpuNanoseconds] = FoldedSamples() * HundredHertzPeriod },
            [("pyroscope_spy", "unknown")],
            TextFromSeconds * 1_000_000_000),
        ["push.v1 binary proto"] = Pprof(
            "go-cpu-3.pb.gz",
            "push-proto-app",
            () => IngestRequests.Push(IngestRequests.PushOf(
                ([("__name__", "process_cpu"), ("service_name", "push-proto-app"), ("spy_name", "dotnetspy")], Corpus.ReadProfile("go-cpu-3.pb.gz")))),
            ("spy_name", "dotnetspy")),
        ["push.v1 JSON"] = Pprof(
            "go-allocs.pb.gz",
            "push-json-app",
            () => IngestRequests.Push(
                IngestRequests.PushOf(([("__name__", "memory"), ("service_name", "push-json-app"), ("team", "core")], Corpus.ReadProfile("go-allocs.pb.gz"))),
                json: true),
            ("team", "core")).WithBody("{}"),
    };

    public static TheoryData<string> FormNames => [.. Forms.Keys];

    [Theory]
    [MemberData(nameof(FormNames))]
    public async Task IngestForm_IsAcknowledged_Indexed_AndStoredWithTheIndependentTotals(string formName)
    {
        var form = Forms[formName];
        await using var server = await InProcessServer.StartAsync();

        var answer = await server.SendAsync(form.Request(), TestContext.Current.CancellationToken);

        Assert.True(answer.StatusCode == 200, $"{formName}: {answer}\n{server.Logs}");
        Assert.Equal(form.ExpectedBody, answer.Text);

        // The index: the service, its profile types, one row per series of the one profile.
        var types = form.Totals.Keys.Order(StringComparer.Ordinal).ToArray();
        var index = await server.QueryMetadataAsync(Anonymous);
        Assert.NotEmpty(index.Blocks);
        var datasets = index.Blocks.SelectMany(b => b.Datasets.Select(d => (Block: b, Dataset: d))).ToArray();
        Assert.All(datasets, d => Assert.Equal(Anonymous, d.Block.GetTenant(d.Dataset)));
        Assert.All(datasets, d => Assert.Equal(form.Service, d.Block.GetServiceName(d.Dataset)));
        Assert.Equal(types, datasets.SelectMany(d => d.Block.GetProfileTypes(d.Dataset)).Distinct().Order(StringComparer.Ordinal));
        Assert.Equal(types.Length, Bucket.IndexedProfileCount(index, Anonymous, form.Service));

        Assert.Equal(types, await server.ProfileTypesAsync(Anonymous));
        Assert.Equal([form.Service], await server.LabelValuesAsync(Anonymous, "service_name"));
        foreach (var (name, value) in form.Labels)
        {
            Assert.Contains(value, await server.LabelValuesAsync(Anonymous, name));
        }

        var byService = await server.QueryMetadataAsync(Anonymous, $"{{service_name=\"{form.Service}\"}}");
        Assert.Equal(types.Length, Bucket.IndexedProfileCount(byService, Anonymous, form.Service));
        var other = await server.QueryMetadataAsync(Anonymous, "{service_name=\"no-such-service\"}");
        Assert.Equal(0, Bucket.IndexedProfileCount(other, Anonymous));

        // The bucket: exactly the indexed objects, holding the totals the independent reader computed.
        Assert.Equal(
            index.Blocks.Select(b => Bucket.ObjectPath(server.DataDirectory, b)).Order(StringComparer.Ordinal),
            Bucket.SegmentObjects(server.DataDirectory));
        var rows = Bucket.Rows(server.DataDirectory, index, Anonymous, form.Service);
        Assert.Equal(types, rows.Select(r => r.ProfileType).Order(StringComparer.Ordinal));

        // The profile sits at the time the client gave: pprof time_nanos, or from= for text formats.
        Assert.All(rows, r => Assert.Equal(form.TimestampNanos, r.TimestampNanos));
        Assert.All(datasets, d => Assert.Equal(form.TimestampNanos / 1_000_000, d.Dataset.MinTime));
        Assert.All(datasets, d => Assert.Equal(form.TimestampNanos / 1_000_000, d.Dataset.MaxTime));

        foreach (var (type, total) in form.Totals)
        {
            Assert.True(
                total == Bucket.Total(server.DataDirectory, index, Anonymous, form.Service, type),
                $"{formName}: total of {type} should be {total} (independent reader) but the stored flame graph has {Bucket.Total(server.DataDirectory, index, Anonymous, form.Service, type)}");
        }
    }

    private static Form Pprof(string corpusFile, string service, Func<HttpRequestMessage> request, params (string, string)[] labels)
    {
        var expectation = Corpus.Expect(corpusFile);
        var totals = CorpusProfiles.ExpectedTypes(corpusFile).ToDictionary(
            t => t,
            t => expectation.Totals[t.Split(':')[1]],
            StringComparer.Ordinal);
        return new Form(request, service, totals, labels, expectation.TimeNanos);
    }

    private static string FoldedText() => File.ReadAllText(Corpus.ProfilePath("folded-sample.txt"));

    private static long FoldedSamples() => Corpus.Expect("folded-sample.txt").Totals["samples"];

    /// <summary>The folded sample as the lines format: each stack repeated once per sample.</summary>
    private static string LinesText()
    {
        var text = new StringBuilder();
        foreach (var line in FoldedText().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var space = line.LastIndexOf(' ');
            var count = int.Parse(line[(space + 1)..], CultureInfo.InvariantCulture);
            for (var i = 0; i < count; i++)
            {
                text.Append(line.AsSpan(0, space)).Append('\n');
            }
        }

        return text.ToString();
    }

    /// <summary>One ingest form: the request, and what the server must make of it.</summary>
    /// <param name="Request">The request a real client sends.</param>
    /// <param name="Service">The service it belongs to.</param>
    /// <param name="Totals">Per profile type, the total the independent reader computed.</param>
    /// <param name="Labels">Series labels that must be indexed.</param>
    /// <param name="TimestampNanos">When the profile was taken, as the client said.</param>
    /// <param name="ExpectedBody">The success body: empty, or <c>{}</c> for Connect JSON.</param>
    private sealed record Form(
        Func<HttpRequestMessage> Request,
        string Service,
        IReadOnlyDictionary<string, long> Totals,
        IReadOnlyList<(string Name, string Value)> Labels,
        long TimestampNanos,
        string ExpectedBody = "")
    {
        public Form WithBody(string body) => this with { ExpectedBody = body };
    }
}
