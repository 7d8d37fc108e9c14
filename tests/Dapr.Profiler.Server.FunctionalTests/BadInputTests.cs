using System.Globalization;
using System.IO.Compression;
using System.Text;
using Dapr.Profiler.Server.FunctionalTests.Hosting;
using Dapr.Profiler.Server.FunctionalTests.Support;
using Dapr.Profiler.TestKit;

namespace Dapr.Profiler.Server.FunctionalTests;

/// <summary>
/// Bad input of every kind against the real executable: each gets its documented 4xx and a message naming the
/// problem, and afterwards the process still serves and the data pushed before is intact.
/// </summary>
[Collection(ServerProcesses.Name)]
public sealed class BadInputTests
{
    private const string Good = "good-tenant";
    private const long MaxBody = 1024 * 1024;
    private const long Burst = 1536 * 1024;
    private const long Mib = 1024 * 1024;
    private const string PeakMemory = "process_resident_memory_peak_bytes";

    private static readonly string[] Settings =
    [
        "--Distributor:MultitenancyEnabled=true",
        $"--Distributor:MaxRequestBodyBytes={MaxBody}",
        "--Distributor:IngestionRateBytesPerSecond=1024",
        $"--Distributor:IngestionBurstBytes={Burst}",
        "--SegmentWriter:SegmentDuration=00:00:00.100",
    ];

    private static readonly string[] RejectedTenants =
        ["t-malformed", "t-truncated", "t-bomb", "t-noname", "t-jfr", "t-prev", "t-labels", "t-big", "t-json", "team"];

    [Fact]
    public async Task BadInputs_GetTheirDocumentedStatusAndReason_AndTheServerAndItsDataSurvive()
    {
        var cancel = TestContext.Current.CancellationToken;
        using var dir = new TempDirectory();
        await using var server = await ServerProcess.StartAsync(dir.Path, Settings);

        // Data pushed before the bad inputs.
        await server.SendOkAsync(IngestRequests.Ingest(PyroscopeGo.IngestUrl("before-app", 1_795_239_800_000_000_000), IngestRequests.Multipart(Corpus.ReadProfile("go-cpu.pb.gz")), Good), cancel);
        await server.SendOkAsync(IngestRequests.Ingest(IngestRequests.CapturedUrl("node-wall.pb.gz"), IngestRequests.Bytes(Corpus.ReadProfile("node-wall.pb.gz")), Good), cancel);
        var before = await server.QueryMetadataAsync(Good);
        var rowsBefore = Bucket.Rows(server.DataDirectory, before, Good);
        Assert.Equal(5, rowsBefore.Count);

        var peakBefore = (await server.MetricsAsync())[PeakMemory];
        var bomb = GzipBomb();
        Assert.True(bomb.Length < MaxBody, $"the bomb ({bomb.Length} bytes) must pass the body limit to reach the decompressor");
        var cases = new List<Case>
        {
            new("malformed pprof", () => IngestRequests.Ingest("/ingest?format=pprof&name=bad-app", IngestRequests.Bytes([0x0a, 0xff, 0xff, 0xff, 0x0f]), "t-malformed"), 400, "invalid_argument", "pprof"),
            new("truncated gzip pprof", () => IngestRequests.Ingest("/ingest?format=pprof&name=bad-app", IngestRequests.Bytes(Corpus.ReadProfile("go-cpu.pb.gz")[..2000]), "t-truncated"), 400, "invalid_argument", "gzip"),
            new("gzip bomb (200 MB of zeros)", () => IngestRequests.Ingest("/ingest?format=pprof&name=bad-app", IngestRequests.Bytes(bomb), "t-bomb"), 413, "invalid_argument", "Distributor:MaxDecompressedBytes"),
            new("missing name", () => IngestRequests.Ingest("/ingest?format=pprof", IngestRequests.Bytes(Corpus.ReadProfile("go-cpu.pb.gz")), "t-noname"), 400, "invalid_argument", "name"),
            new("format=jfr", () => IngestRequests.Ingest("/ingest?format=jfr&name=bad-app", IngestRequests.Bytes([1, 2, 3]), "t-jfr"), 400, "invalid_argument", "jfr"),
            new("prev_profile multipart", () => IngestRequests.Ingest("/ingest?name=bad-app", IngestRequests.Multipart(Corpus.ReadProfile("go-cpu.pb.gz"), previousProfile: Corpus.ReadProfile("go-cpu.pb.gz")), "t-prev"), 400, "invalid_argument", "unsupported client version"),
            new("too many labels", () => IngestRequests.Ingest("/ingest?format=pprof&name=" + Uri.EscapeDataString(ManyLabels(40)), IngestRequests.Bytes(Corpus.ReadProfile("go-cpu.pb.gz")), "t-labels"), 400, "invalid_argument", "Distributor:MaxLabelNamesPerSeries"),
            new("body over MaxRequestBodyBytes", () => IngestRequests.Ingest("/ingest?format=pprof&name=bad-app", IngestRequests.Bytes(new byte[2 * MaxBody]), "t-big"), 413, "invalid_argument", "Distributor:MaxRequestBodyBytes"),
            new("push body over MaxRequestBodyBytes", () => IngestRequests.Ingest(IngestRequests.PushRoute, IngestRequests.Bytes(new byte[2 * MaxBody], "application/proto"), "t-big"), 400, "invalid_argument", "Distributor:MaxRequestBodyBytes"),
            new("missing tenant (multitenancy on)", () => IngestRequests.Ingest(PyroscopeGo.IngestUrl("bad-app", 1_795_239_800_000_000_000), IngestRequests.Multipart(Corpus.ReadProfile("go-cpu.pb.gz"))), 401, "unauthenticated", "X-Scope-OrgID"),
            new("missing tenant on push", () => IngestRequests.Push(IngestRequests.PushOf(([("__name__", "process_cpu")], Corpus.ReadProfile("go-cpu.pb.gz")))), 401, "unauthenticated", "X-Scope-OrgID"),
            new("invalid tenant id", () => IngestRequests.Ingest("/ingest?name=bad-app", IngestRequests.Text("main;work 1\n"), "team/a"), 400, "invalid_argument", "tenant id"),
            new("invalid push JSON", () => IngestRequests.Ingest(IngestRequests.PushRoute, IngestRequests.Bytes("{\"series\": [ nope"u8.ToArray(), "application/json"), "t-json"), 400, "invalid_argument", "JSON"),
            new("push without __name__", () => IngestRequests.Push(IngestRequests.PushOf(([("service_name", "bad-app")], Corpus.ReadProfile("go-cpu.pb.gz"))), tenant: "t-noname"), 400, "invalid_argument", "invalid metric name"),
        };

        var failures = new List<string>();
        foreach (var c in cases)
        {
            var answer = await server.SendAsync(c.Request(), cancel);
            TestContext.Current.TestOutputHelper?.WriteLine($"{c.Name}: {answer}");
            Check(failures, c.Name, answer, c.Status, c.Code, c.MessagePart);
        }

        // Rate limit: one tenant sends bodies of 900 KiB; the burst (1.5 MiB) admits the first and the 1 KiB/s
        // rate cannot refill the bucket before the second.
        var first = await server.SendAsync(IngestRequests.Ingest("/ingest?name=flood-app", IngestRequests.Text(Folded(900 * 1024)), "t-flood"), cancel);
        Assert.True(first.StatusCode == 200, $"the first flood request is within the burst: {first}");
        var limited = await server.SendAsync(IngestRequests.Ingest("/ingest?name=flood-app", IngestRequests.Text(Folded(900 * 1024)), "t-flood"), cancel);
        Check(failures, "rate limit", limited, 429, "resource_exhausted", "Distributor:IngestionRateBytesPerSecond");
        Assert.True(failures.Count == 0, string.Join("\n", failures) + "\n--- server log ---\n" + server.Logs);

        // Still up, nothing of the rejected requests stored, the earlier data intact, and a good push works.
        Assert.False(server.HasExited, server.Logs);
        var after = await server.QueryMetadataAsync(Good);
        Assert.Equal(before, after);
        Assert.Equal(rowsBefore, Bucket.Rows(server.DataDirectory, after, Good));
        Assert.Empty((await server.QueryMetadataAsync(RejectedTenants)).Blocks);

        await server.SendOkAsync(IngestRequests.Ingest(PyroscopeGo.IngestUrl("after-app", 1_795_239_900_000_000_000), IngestRequests.Multipart(Corpus.ReadProfile("go-cpu-2.pb.gz")), Good), cancel);
        var final = await server.QueryMetadataAsync(Good);
        Assert.Equal(7, Bucket.IndexedProfileCount(final, Good));
        Assert.Equal(2, Bucket.IndexedProfileCount(await server.QueryMetadataAsync(Good, "{service_name=\"after-app\"}"), Good, "after-app"));

        // The bomb was not inflated: the peak resident memory grew far less than its 200 MB.
        var peakAfter = (await server.MetricsAsync())[PeakMemory];
        TestContext.Current.TestOutputHelper?.WriteLine($"peak RSS {peakBefore / Mib} MiB before the bad inputs, {peakAfter / Mib} MiB after");
        Assert.True(peakAfter - peakBefore < 150 * Mib, $"peak resident memory grew from {peakBefore / Mib} MiB to {peakAfter / Mib} MiB");
    }

    private static void Check(List<string> failures, string name, Answer answer, int status, string code, string messagePart)
    {
        if (answer.StatusCode != status || answer.Code != code || answer.Message?.Contains(messagePart, StringComparison.Ordinal) != true)
        {
            failures.Add($"{name}: expected {status} {code} with a message naming '{messagePart}', got {answer}");
        }
    }

    /// <summary>About 200 MB of zeros, gzipped to about 200 KB (the usual bomb).</summary>
    private static byte[] GzipBomb()
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.SmallestSize))
        {
            var zeros = new byte[1024 * 1024];
            for (var i = 0; i < 200; i++)
            {
                gzip.Write(zeros);
            }
        }

        return output.ToArray();
    }

    private static string ManyLabels(int count)
    {
        var name = new StringBuilder("bad-app{");
        for (var i = 0; i < count; i++)
        {
            name.Append(CultureInfo.InvariantCulture, $"{(i == 0 ? string.Empty : ",")}label_{i}=v{i}");
        }

        return name.Append('}').ToString();
    }

    /// <summary>Valid folded text of about <paramref name="bytes"/> bytes: one stack, many times.</summary>
    private static string Folded(int bytes)
    {
        var text = new StringBuilder(bytes + 64);
        while (text.Length < bytes)
        {
            text.Append("main;worker;step 1\n");
        }

        return text.ToString();
    }

    private sealed record Case(string Name, Func<HttpRequestMessage> Request, int Status, string Code, string MessagePart);
}
