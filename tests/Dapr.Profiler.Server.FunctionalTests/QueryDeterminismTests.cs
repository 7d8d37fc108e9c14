using Dapr.Profiler.Protos.Querier;
using Dapr.Profiler.Server.FunctionalTests.Hosting;
using Dapr.Profiler.Server.FunctionalTests.Support;
using Dapr.Profiler.TestKit;

namespace Dapr.Profiler.Server.FunctionalTests;

/// <summary>
/// The same query on the same data gets the same bytes, call after call: four different Go CPU profiles of one
/// service in four segments (blocks), asked ten times per query method.
/// </summary>
public sealed class QueryDeterminismTests
{
    private const string Cpu = "process_cpu:cpu:nanoseconds:cpu:nanoseconds";
    private const string Selector = "{service_name=\"same-bytes\"}";
    private const int Asks = 10;

    private static readonly string[] Files = ["go-cpu.pb.gz", "go-cpu-2.pb.gz", "go-cpu-3.pb.gz", "go-cpu-4.pb.gz"];

    [Fact]
    public async Task EveryQueryMethod_AnswersTheSameBytes_WhenAskedAgain()
    {
        await using var server = await UploadAsync();
        var (start, end) = Range();
        var querier = new Querier(server);
        var requests = new (string Method, Google.Protobuf.IMessage Request)[]
        {
            ("SelectMergeStacktraces", Querier.MergeRequest(Cpu, Selector, start, end)),
            ("SelectSeries", new SelectSeriesRequest { ProfileTypeID = Cpu, LabelSelector = Selector, Start = start, End = end, Step = 1 }),
            ("Diff", new DiffRequest { Left = Querier.MergeRequest(Cpu, Selector, start, end), Right = Querier.MergeRequest(Cpu, "{}", start, end) }),
            ("Series", new SeriesRequest { Matchers = { Selector }, Start = start, End = end }),
        };
        foreach (var (method, request) in requests)
        {
            var distinct = await DistinctAnswersAsync(querier, method, request);
            Assert.True(distinct == 1, $"{method}: {distinct} different answers to {Asks} identical requests");
        }
    }

    /// <summary>
    /// SelectMergeProfile's pprof is the same profile each time, but its location/function ids and sample order
    /// follow the order in which the query-backend happened to finish reading the blocks (the merge takes them as
    /// they come), so identical requests get different bytes. Pyroscope users cache and diff these downloads.
    /// </summary>
    [Fact]
    public async Task SelectMergeProfile_AnswersTheSameBytes_WhenAskedAgain()
    {
        await using var server = await UploadAsync();
        var (start, end) = Range();
        var querier = new Querier(server);
        var request = new SelectMergeProfileRequest { ProfileTypeID = Cpu, LabelSelector = Selector, Start = start, End = end };

        // The content is always the four profiles' sum.
        var contents = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < 3; i++)
        {
            var answer = await querier.PostAsync("SelectMergeProfile", request);
            Assert.True(answer.StatusCode == 200, answer.ToString());
            contents.Add(PprofContent.Canonical(answer.Body));
        }

        Assert.Single(contents);

        var distinct = await DistinctAnswersAsync(querier, "SelectMergeProfile", request);
        Assert.True(distinct == 1, $"SelectMergeProfile: {distinct} different pprof encodings of one profile in {Asks} identical requests");
    }

    private static async Task<int> DistinctAnswersAsync(Querier querier, string method, Google.Protobuf.IMessage request)
    {
        var bodies = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < Asks; i++)
        {
            var answer = await querier.PostAsync(method, request);
            Assert.True(answer.StatusCode == 200, $"{method}: {answer}");
            bodies.Add(Convert.ToBase64String(answer.Body));
        }

        return bodies.Count;
    }

    private static (long Start, long End) Range()
    {
        var times = Files.Select(f => Corpus.Expect(f).TimeNanos / 1_000_000).ToArray();
        return (times.Min() - 60_000, times.Min() - 60_000 + 180_000);
    }

    /// <summary>One upload after the other: each is acknowledged once its segment is stored, so each is its own block.</summary>
    private static async Task<InProcessServer> UploadAsync()
    {
        var server = await InProcessServer.StartAsync();
        try
        {
            foreach (var file in Files)
            {
                await server.SendOkAsync(IngestRequests.Ingest("/ingest?format=pprof&name=same-bytes&spyName=gospy", IngestRequests.Bytes(Corpus.ReadProfile(file))));
            }

            var blocks = (await server.QueryMetadataAsync("anonymous", Selector)).Blocks.Count;
            Assert.True(blocks == Files.Length, $"{blocks} blocks for {Files.Length} sequential uploads\n{server.Logs}");
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }
}
