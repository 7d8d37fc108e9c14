using System.Text;
using Dapr.Profiler.Protos.Querier;
using Dapr.Profiler.Protos.Types;
using Dapr.Profiler.Server.FunctionalTests.Hosting;
using Dapr.Profiler.Server.FunctionalTests.Support;
using Dapr.Profiler.TestKit;
using Google.Protobuf;

namespace Dapr.Profiler.Server.FunctionalTests;

/// <summary>
/// What the query API answers survives the server being killed: the real executable is SIGKILLed right after Go
/// (pyroscope-go multipart, raw pprof) and Node (@pyroscope/nodejs raw) profiles were acknowledged, and a new process
/// on the same data directory gives byte-identical answers to every query method and to the render API (the merged
/// pprof of SelectMergeProfile by content: its ids are not stable from one call to the next, see
/// <see cref="QueryDeterminismTests"/>).
/// </summary>
[Collection(ServerProcesses.Name)]
public sealed class QueryDurabilityTests
{
    private const string Tenant = "anonymous";
    private const string Cpu = "process_cpu:cpu:nanoseconds:cpu:nanoseconds";
    private const string InuseSpace = "memory:inuse_space:bytes:space:bytes";
    private const string AllocObjects = "memory:alloc_objects:count:space:bytes";
    private const string Wall = "wall:wall:nanoseconds:wall:nanoseconds";
    private const string NodeHeap = "memory:inuse_space:bytes:inuse_space:bytes";

    /// <summary>A minute before the first profile, on a whole second.</summary>
    private static readonly long StartMs = (Pusher.BaseTimestampNanos / 1_000_000) - 60_000;

    /// <summary>Fourteen 15 s steps after <see cref="StartMs"/>, well after the last profile (50 s after the base).</summary>
    private static readonly long EndMs = StartMs + (14 * 15_000);

    [Fact]
    public async Task EveryQuery_AnswersTheSameBytes_AfterSigkillAndRestart()
    {
        var cancel = TestContext.Current.CancellationToken;
        using var dir = new TempDirectory();
        IReadOnlyDictionary<string, Answer> before;
        string killedLog;
        var server = await ServerProcess.StartAsync(dir.Path);
        try
        {
            List<SentProfile> sent =
            [
                .. Pusher.Make(Tenant, "durable-go", "go-cpu.pb.gz", 4),
                .. Pusher.Make(Tenant, "durable-go", "go-cpu-2.pb.gz", 3, firstIndex: 10),
                .. Pusher.Make(Tenant, "durable-go", "go-heap.pb.gz", 3, firstIndex: 20),
                .. Pusher.Make(Tenant, "durable-node", "node-wall.pb.gz", 4, firstIndex: 30),
                .. Pusher.Make(Tenant, "durable-node", "node-heap.pb.gz", 2, firstIndex: 40),
            ];
            await Pusher.SendAllAsync(server, sent, concurrency: 4, sendTenantHeader: false, cancel);
            Assert.All(sent, p => Assert.True(p.Acknowledged, $"{p}: {p.Failure}\n{server.Logs}"));

            // A raw pprof upload (format=pprof) of another service, as a script or dprof would send it.
            var allocs = CorpusProfiles.WithTimestamp("go-allocs.pb.gz", Pusher.BaseTimestampNanos + (50 * 1_000_000_000L));
            await server.SendOkAsync(IngestRequests.Ingest("/ingest?format=pprof&name=durable-raw%7Bteam%3Dcore%7D&spyName=gospy", IngestRequests.Bytes(allocs)), cancel);

            before = await AskEverythingAsync(server);

            // The same questions twice in one process get the same bytes: what follows compares like with like.
            AssertSameAnswers(before, await AskEverythingAsync(server), "asked twice before the kill", server.Logs);

            server.KillHard();
            killedLog = server.Logs;
        }
        finally
        {
            await server.DisposeAsync();
        }

        await using var restarted = await ServerProcess.StartAsync(dir.Path);
        var after = await AskEverythingAsync(restarted);
        AssertSameAnswers(before, after, "after SIGKILL and restart", $"--- killed ---\n{killedLog}\n--- restarted ---\n{restarted.Logs}");

        // And the answers are not trivially empty.
        Assert.Contains("durable-go", before["LabelValues service_name json"].Text, StringComparison.Ordinal);
        Assert.Contains("durable-node", before["LabelValues service_name json"].Text, StringComparison.Ordinal);
        Assert.Contains("main.fib", before[$"merge {Cpu} {{service_name=\"durable-go\"}}"].Text, StringComparison.Ordinal);
    }

    /// <summary>Every query method (binary and JSON where both matter) and the render API, keyed by a description.</summary>
    private static async Task<IReadOnlyDictionary<string, Answer>> AskEverythingAsync(ServerProcess server)
    {
        var querier = new Querier(server);
        var answers = new Dictionary<string, Answer>(StringComparer.Ordinal);
        async Task Post(string key, string method, IMessage request, bool json)
        {
            answers[key] = await querier.PostAsync(method, request, json);
        }

        var range = (Start: StartMs, End: EndMs);
        foreach (var json in new[] { false, true })
        {
            var codec = json ? "json" : "proto";
            await Post($"ProfileTypes {codec}", "ProfileTypes", new ProfileTypesRequest { Start = range.Start, End = range.End }, json);
            await Post($"LabelNames {codec}", "LabelNames", new LabelNamesRequest { Matchers = { "{}" }, Start = range.Start, End = range.End }, json);
            await Post($"LabelValues service_name {codec}", "LabelValues", new LabelValuesRequest { Name = "service_name", Start = range.Start, End = range.End }, json);
            await Post($"Series {codec}", "Series", new SeriesRequest { Matchers = { "{}" }, Start = range.Start, End = range.End }, json);
            await Post($"GetProfileStats {codec}", "GetProfileStats", new GetProfileStatsRequest(), json);
        }

        await Post("LabelValues env", "LabelValues", new LabelValuesRequest { Name = "env", Matchers = { "{service_name=\"durable-go\"}" }, Start = range.Start, End = range.End }, json: true);
        await Post(
            "Series projected",
            "Series",
            new SeriesRequest { Matchers = { "{service_name=~\"durable-.*\"}" }, LabelNames = { "service_name", "__profile_type__" }, Start = range.Start, End = range.End },
            json: true);

        var queries = new (string Type, string Selector)[]
        {
            (Cpu, "{service_name=\"durable-go\"}"),
            (InuseSpace, "{service_name=\"durable-go\"}"),
            (AllocObjects, "{}"),
            (Wall, "{service_name=\"durable-node\"}"),
            (NodeHeap, "{service_name=\"durable-node\",env=\"ft\"}"),
        };
        foreach (var (type, selector) in queries)
        {
            var merge = Querier.MergeRequest(type, selector, range.Start, range.End);
            await Post($"merge {type} {selector}", "SelectMergeStacktraces", merge, json: true);
            await Post($"merge proto {type} {selector}", "SelectMergeStacktraces", merge, json: false);
            await Post(
                $"pprof {type} {selector}",
                "SelectMergeProfile",
                new SelectMergeProfileRequest { ProfileTypeID = type, LabelSelector = selector, Start = range.Start, End = range.End },
                json: false);
            foreach (var step in new[] { 1.0, 15.0 })
            {
                var series = new SelectSeriesRequest { ProfileTypeID = type, LabelSelector = selector, Start = range.Start, End = range.End, Step = step, GroupBy = { "service_name" } };
                await Post($"series {type} {selector} step {step}", "SelectSeries", series, json: true);
            }

            answers[$"render {type} {selector}"] = await querier.GetAsync(Querier.RenderPath(type, selector, range.Start, range.End));
        }

        var middle = range.Start + 60_000 + 5_000;
        await Post(
            "diff cpu: first profiles against the later ones",
            "Diff",
            new DiffRequest
            {
                Left = Querier.MergeRequest(Cpu, "{service_name=\"durable-go\"}", range.Start, middle),
                Right = Querier.MergeRequest(Cpu, "{service_name=\"durable-go\"}", middle, range.End),
            },
            json: true);
        answers["label-values"] = await querier.GetAsync(FormattableString.Invariant($"/pyroscope/label-values?label=service_name&from={range.Start}&until={range.End}"));
        answers["render-diff"] = await querier.GetAsync(FormattableString.Invariant(
            $"/pyroscope/render-diff?leftQuery={Uri.EscapeDataString(Cpu + "{service_name=\"durable-go\"}")}&leftFrom={range.Start}&leftUntil={middle}&rightQuery={Uri.EscapeDataString(Cpu + "{service_name=\"durable-go\"}")}&rightFrom={middle}&rightUntil={range.End}"));

        foreach (var (key, answer) in answers)
        {
            Assert.True(answer.StatusCode == 200, $"{key}: {answer}\n{server.Logs}");
        }

        return answers;
    }

    private static void AssertSameAnswers(IReadOnlyDictionary<string, Answer> expected, IReadOnlyDictionary<string, Answer> actual, string context, string logs)
    {
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), actual.Keys.Order(StringComparer.Ordinal));
        var differences = new StringBuilder();
        foreach (var (key, answer) in expected)
        {
            var other = actual[key];
            if (key.StartsWith("pprof ", StringComparison.Ordinal))
            {
                // The merged pprof's ids and sample order follow the order the backend happened to read the
                // blocks in (QueryDeterminismTests shows it): compared by content here.
                var (was, now) = (PprofContent.Canonical(answer.Body), PprofContent.Canonical(other.Body));
                if (was != now)
                {
                    differences.AppendLine($"{key}: the merged pprof changed\n  was: {Shorten(was)}\n  now: {Shorten(now)}");
                }

                continue;
            }

            if (answer.ContentType != other.ContentType || !answer.Body.AsSpan().SequenceEqual(other.Body))
            {
                differences.AppendLine(FormattableString.Invariant($"{key}: {answer.Body.Length} bytes ({answer.ContentType}) then {other.Body.Length} bytes ({other.ContentType})"));
                if (answer.ContentType == "application/json")
                {
                    differences.AppendLine("  was: " + Shorten(answer.Text)).AppendLine("  now: " + Shorten(other.Text));
                }
            }
        }

        Assert.True(differences.Length == 0, $"{context}, answers differ:\n{differences}\n{logs}");
    }

    private static string Shorten(string text) => text.Length <= 2_000 ? text : text[..2_000] + "…";
}
