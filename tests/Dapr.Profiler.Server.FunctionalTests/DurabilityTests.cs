using Dapr.Profiler.Block;
using Dapr.Profiler.Server.FunctionalTests.Hosting;
using Dapr.Profiler.Server.FunctionalTests.Support;

namespace Dapr.Profiler.Server.FunctionalTests;

/// <summary>
/// An acknowledged push survives the server being killed: the real executable is SIGKILLed right after the last
/// acknowledgement and a new process on the same data directory has every profile in its index and every indexed
/// object in the bucket. Twice in a row, so recovering a recovered log is covered too.
/// </summary>
[Collection(ServerProcesses.Name)]
public sealed class DurabilityTests
{
    private const string Tenant = "anonymous";
    private const string Service = "durable-app";
    private const int PerRound = 40;

    private static readonly string[] Settings = ["--SegmentWriter:SegmentDuration=00:00:00.100"];

    [Fact]
    public async Task AcknowledgedProfiles_SurviveSigkill_TwiceInARow()
    {
        var cancel = TestContext.Current.CancellationToken;
        using var dir = new TempDirectory();
        var sent = new List<SentProfile>();
        var killedLog = string.Empty;

        for (var round = 0; round < 2; round++)
        {
            var server = await ServerProcess.StartAsync(dir.Path, Settings);
            try
            {
                if (round > 0)
                {
                    // A new process on the directory of the killed one finds every acknowledged profile.
                    await AssertAllStoredAsync(server, sent, $"round {round}: after SIGKILL and restart\n--- killed server ---\n{killedLog}\n--- restarted ---\n{server.Logs}");
                }

                // Go CPU (multipart, as pyroscope-go) first, then Node wall (raw, as @pyroscope/nodejs), one service.
                var batch = Pusher.Make(Tenant, Service, round == 0 ? "go-cpu.pb.gz" : "node-wall.pb.gz", PerRound, firstIndex: round * PerRound);
                await Pusher.SendAllAsync(server, batch, concurrency: 8, sendTenantHeader: false, cancel);
                Assert.All(batch, p => Assert.True(p.Acknowledged, $"push at {p.TimestampNanos}: {p.Failure}\n{server.Logs}"));
                sent.AddRange(batch);

                // kill -9 right after the last acknowledgement: nothing is flushed or closed.
                server.KillHard();
                killedLog = server.Logs;
            }
            finally
            {
                await server.DisposeAsync();
            }
        }

        await using var final = await ServerProcess.StartAsync(dir.Path, Settings);
        await AssertAllStoredAsync(final, sent, $"after the second SIGKILL and restart\n--- killed server ---\n{killedLog}\n--- restarted ---\n{final.Logs}");
    }

    [Fact]
    public async Task Sigkill_WhilePushesAreInFlight_KeepsEveryAcknowledgedProfile_AndTheRestartedServerTakesMore()
    {
        var cancel = TestContext.Current.CancellationToken;
        using var dir = new TempDirectory();
        ContinuousPushers pushers;
        string killedLog;
        var server = await ServerProcess.StartAsync(dir.Path, Settings);
        try
        {
            pushers = ContinuousPushers.Start(server, Tenant, "midflight-app", pushers: 8, acksWanted: 40, cancel);
            await Task.WhenAny(pushers.Acknowledged, pushers.Completion).WaitAsync(TimeSpan.FromSeconds(60), cancel);
            Assert.True(pushers.Acknowledged.IsCompleted, $"the pushers stopped early:\n{pushers.DescribeFailures()}\n{server.Logs}");

            // kill -9 in the middle of the traffic: segments are being written and registered right now.
            pushers.Mark();
            server.KillHard();
            killedLog = server.Logs;
            await pushers.Completion.WaitAsync(TimeSpan.FromSeconds(60), cancel);
        }
        finally
        {
            await server.DisposeAsync();
        }

        TestContext.Current.TestOutputHelper?.WriteLine(
            $"{pushers.Sent.Count} pushes, {pushers.Sent.Count(p => p.Acknowledged)} acknowledged before SIGKILL");
        await using var restarted = await ServerProcess.StartAsync(dir.Path, Settings);
        var context = $"after SIGKILL mid-traffic and restart\n--- killed server ---\n{killedLog}\n--- restarted ---\n{restarted.Logs}";
        var index = await restarted.QueryMetadataAsync(Tenant, "{service_name=\"midflight-app\"}");
        var stored = Bucket.Rows(restarted.DataDirectory, index, Tenant, "midflight-app");
        Pusher.AssertAcknowledgedStored(pushers.Sent, stored, context);
        Assert.True(stored.Count == Bucket.IndexedProfileCount(index, Tenant, "midflight-app"), context);

        // The recovered server takes new pushes and indexes them next to the recovered ones.
        var more = Pusher.Make(Tenant, "midflight-app", "go-cpu-2.pb.gz", 4, firstIndex: 5_000);
        await Pusher.SendAllAsync(restarted, more, concurrency: 4, sendTenantHeader: false, cancel);
        Assert.All(more, p => Assert.True(p.Acknowledged, $"{p.Failure}\n{restarted.Logs}"));
        var after = await restarted.QueryMetadataAsync(Tenant, "{service_name=\"midflight-app\"}");
        Pusher.AssertAcknowledgedStored(pushers.Sent.Concat(more), Bucket.Rows(restarted.DataDirectory, after, Tenant, "midflight-app"), context);
        Assert.Equal(stored.Count + (4 * 2), Bucket.IndexedProfileCount(after, Tenant, "midflight-app"));
    }

    private static async Task AssertAllStoredAsync(ServerProcess server, List<SentProfile> sent, string context)
    {
        var index = await server.QueryMetadataAsync(Tenant, $"{{service_name=\"{Service}\"}}");
        var expectedRows = sent.Sum(p => CorpusProfiles.SeriesPerProfile(p.CorpusFile));
        Assert.True(
            expectedRows == Bucket.IndexedProfileCount(index, Tenant, Service),
            $"{context}: the index counts {Bucket.IndexedProfileCount(index, Tenant, Service)} profile rows for {sent.Count} acknowledged profiles ({expectedRows} rows expected)");

        // Every indexed block's object is in the bucket and readable; together they hold exactly what was sent.
        foreach (var block in index.Blocks)
        {
            var reader = Bucket.Open(server.DataDirectory, block);
            Assert.Equal(block.Id, reader.Meta.Id);
            Assert.NotEmpty(reader.Meta.FindDatasets(Tenant, Service));
        }

        Pusher.AssertStoredExactly(sent, Bucket.Rows(server.DataDirectory, index, Tenant, Service), context);
        var types = sent.SelectMany(p => CorpusProfiles.ExpectedTypes(p.CorpusFile)).Distinct().Order(StringComparer.Ordinal);
        Assert.Equal(types, await server.ProfileTypesAsync(Tenant, $"{{service_name=\"{Service}\"}}"));
    }
}
