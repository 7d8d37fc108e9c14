using Dapr.Profiler.Block;
using Dapr.Profiler.Protos.Compaction;
using Dapr.Profiler.Protos.Metastore;

namespace Dapr.Profiler.Compaction.Tests;

/// <summary>
/// The scheduler actor and the worker under faults: a worker dying mid-job, the scheduler restarting mid-lease, a job
/// delivered twice, a stale token, the metastore restarting between the upload and the commit.
/// </summary>
public sealed class SchedulerFaultTests : IDisposable
{
    private const string Tenant = "tenant-a";
    private readonly string _directory = Directory.CreateTempSubdirectory("dprof-compaction-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task FullBatch_BecomesOneJob_AndItsCommitReplacesTheSegmentsByOneBlockPerTenant()
    {
        await using var cluster = await CompactionCluster.StartAsync(_directory, "Compaction:L0:MaxBlocks=4");
        var now = DateTimeOffset.UtcNow;
        for (var i = 0; i < 4; i++)
        {
            await cluster.AddSegmentAsync(1, now, ("tenant-a", "checkout", 1_000 + i), ("tenant-b", "search", 1_000 + i));
        }

        Assert.Equal(1, (await cluster.PollAsync(1)).JobsCreated);
        var job = await cluster.Jobs.NextAsync();
        Assert.Equal(4, job.Sources.Count);
        Assert.Equal(0u, job.Level);
        Assert.Matches("^[0-9a-f]{16}-T-S1-L0$", job.Name);

        var answer = await cluster.Worker.RunAsync(job, TestContext.Current.CancellationToken);
        Assert.Equal(CompleteJobOutcome.Committed, answer.Outcome);
        var blocks = await cluster.BlocksAsync(1);
        Assert.All(blocks, b => Assert.Equal(1u, b.CompactionLevel));
        Assert.Equal(["tenant-a", "tenant-b"], blocks.Select(b => b.GetTenant()).Order(StringComparer.Ordinal));
        Assert.Equal(4 * 2, await cluster.IndexedRowsAsync("tenant-a", "checkout"));
        Assert.Equal(2, (await cluster.KeysAsync(BlockObjectKeys.BlocksPrefix)).Count);
        Assert.Equal(1, cluster.Metrics.Jobs[(0, "committed")]);
    }

    [Fact]
    public async Task WorkerKilledMidJob_LeaseExpires_AnotherWorkerFinishes_AndOneOutputExists()
    {
        await using var cluster = await CompactionCluster.StartAsync(_directory, "Compaction:L0:MaxBlocks=3");
        var sources = new List<Protos.Block.BlockMeta>();
        for (var i = 0; i < 3; i++)
        {
            sources.Add(await cluster.AddSegmentAsync(2, DateTimeOffset.UtcNow, (Tenant, "checkout", 5_000 + i)));
        }

        await cluster.PollAsync(2);
        var first = await cluster.Jobs.NextAsync();

        // The first worker uploads its output and dies before reporting.
        var orphan = await BlockCompactor.RunAsync(first, cluster.Store, 5, TestContext.Current.CancellationToken);

        // The lease (1 s) expires; its reminder leases the job again with a new token.
        var second = await cluster.Jobs.NextAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(first.Name, second.Name);
        Assert.True(second.Token > first.Token);
        Assert.Equal(1, second.Failures);

        Assert.Equal(CompleteJobOutcome.Committed, (await cluster.Worker.RunAsync(second, TestContext.Current.CancellationToken)).Outcome);

        // The dead worker's late report is fenced off.
        var late = await cluster.CompleteAsync(first, orphan.Select(o => o.Meta));
        Assert.NotEqual(CompleteJobOutcome.Committed, late.Outcome);

        var keys = await cluster.KeysAsync(BlockObjectKeys.BlocksPrefix);
        Assert.Equal([orphan.Single().Key], keys);
        Assert.Equal(3 * 2, await cluster.IndexedRowsAsync(Tenant, "checkout"));
        Assert.DoesNotContain(await cluster.BlocksAsync(2), b => sources.Any(s => s.Id == b.Id));
    }

    [Fact]
    public async Task SchedulerRestartedMidLease_ItsReminderResumes_AndTheJobCompletes()
    {
        CompactionJob first;
        await using (var cluster = await CompactionCluster.StartAsync(_directory, "Compaction:L0:MaxBlocks=2"))
        {
            await cluster.AddSegmentAsync(3, DateTimeOffset.UtcNow, (Tenant, "checkout", 9_000));
            await cluster.AddSegmentAsync(3, DateTimeOffset.UtcNow, (Tenant, "checkout", 9_001));
            await cluster.PollAsync(3);
            first = await cluster.Jobs.NextAsync();
        }

        // A new process over the same data directory: no call reaches the actor, only its durable reminder.
        await using var restarted = await CompactionCluster.StartAsync(_directory, "Compaction:L0:MaxBlocks=2");
        var again = await restarted.Jobs.NextAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(first.Name, again.Name);
        Assert.True(again.Token > first.Token);
        Assert.Equal(CompleteJobOutcome.Committed, (await restarted.Worker.RunAsync(again, TestContext.Current.CancellationToken)).Outcome);
        Assert.All(await restarted.BlocksAsync(3), b => Assert.Equal(1u, b.CompactionLevel));
    }

    [Fact]
    public async Task SameJobDeliveredTwice_CommitsOnce()
    {
        await using var cluster = await CompactionCluster.StartAsync(_directory, "Compaction:L0:MaxBlocks=2", "Compaction:LeaseDuration=00:01:00");
        await cluster.AddSegmentAsync(1, DateTimeOffset.UtcNow, (Tenant, "checkout", 1), (Tenant, "search", 1));
        await cluster.AddSegmentAsync(1, DateTimeOffset.UtcNow, (Tenant, "checkout", 2));
        await cluster.PollAsync(1);
        var job = await cluster.Jobs.NextAsync();

        var results = await Task.WhenAll(
            cluster.Worker.RunAsync(job, TestContext.Current.CancellationToken),
            cluster.Worker.RunAsync(job, TestContext.Current.CancellationToken));
        Assert.Single(results, r => r.Outcome == CompleteJobOutcome.Committed);
        Assert.Single(results, r => r.Outcome == CompleteJobOutcome.NoOp);
        Assert.Equal(2 * 2, await cluster.IndexedRowsAsync(Tenant, "checkout"));
        Assert.Equal(1 * 2, await cluster.IndexedRowsAsync(Tenant, "search"));
        Assert.Single(await cluster.BlocksAsync(1));
    }

    [Fact]
    public async Task StaleToken_IsRejected_ByTheActor_AndByTheMetastore()
    {
        await using var cluster = await CompactionCluster.StartAsync(_directory, "Compaction:L0:MaxBlocks=2", "Compaction:LeaseDuration=00:01:00");
        var a = await cluster.AddSegmentAsync(4, DateTimeOffset.UtcNow, (Tenant, "checkout", 1));
        var b = await cluster.AddSegmentAsync(4, DateTimeOffset.UtcNow, (Tenant, "checkout", 2));
        await cluster.PollAsync(4);
        var job = await cluster.Jobs.NextAsync();
        var outputs = await BlockCompactor.RunAsync(job, cluster.Store, 5, TestContext.Current.CancellationToken);

        var stale = job.Clone();
        stale.Token--;
        Assert.Equal(CompleteJobOutcome.StaleToken, (await cluster.CompleteAsync(stale, outputs.Select(o => o.Meta))).Outcome);

        var direct = new ReplaceBlocksRequest { Job = job.Name, Token = job.Token + 1, Shard = 4 };
        direct.SourceBlockIds.Add(a.Id);
        direct.SourceBlockIds.Add(b.Id);
        direct.Outputs.AddRange(outputs.Select(o => o.Meta));
        Assert.Equal(ReplaceBlocksOutcome.StaleToken, (await cluster.Metastore.ReplaceBlocksAsync(direct, TestContext.Current.CancellationToken)).Outcome);
        Assert.All(await cluster.BlocksAsync(4), block => Assert.Equal(0u, block.CompactionLevel));

        Assert.Equal(CompleteJobOutcome.Committed, (await cluster.CompleteAsync(job, outputs.Select(o => o.Meta))).Outcome);
    }

    [Fact]
    public async Task MetastoreRestartBetweenUploadAndCommit_TheJobStillCommits_AndAnAbandonedOutputIsSweptLater()
    {
        CompactionJob job;
        List<CompactedBlock> uploaded;
        await using (var cluster = await CompactionCluster.StartAsync(_directory, "Compaction:L0:MaxBlocks=2", "Compaction:LeaseDuration=00:01:00"))
        {
            await cluster.AddSegmentAsync(1, DateTimeOffset.UtcNow, (Tenant, "checkout", 1));
            await cluster.AddSegmentAsync(1, DateTimeOffset.UtcNow, (Tenant, "checkout", 2));
            await cluster.PollAsync(1);
            job = await cluster.Jobs.NextAsync();
            uploaded = await BlockCompactor.RunAsync(job, cluster.Store, 5, TestContext.Current.CancellationToken);
        }

        await using (var restarted = await CompactionCluster.StartAsync(_directory, "Compaction:L0:MaxBlocks=2", "Compaction:LeaseDuration=00:01:00"))
        {
            // The lease and the token are durable on both sides: the report after the restart commits.
            var answer = await restarted.CompleteAsync(job, uploaded.Select(o => o.Meta));
            Assert.True(answer.Outcome == CompleteJobOutcome.Committed, $"{answer.Outcome}: {answer.Reason}");
            Assert.Equal(uploaded.Single().Meta.Id, (await restarted.BlocksAsync(1)).Single().Id);

            // Nothing indexed is an orphan: the sweep keeps the committed output.
            Assert.Equal(0, await restarted.Cleaner.SweepOrphansAsync(TestContext.Current.CancellationToken));
        }

        // A job that never commits (given up at its first expiry) leaves its upload behind; the sweep removes it.
        Directory.Delete(_directory, recursive: true);
        Directory.CreateDirectory(_directory);
        await using var cluster2 = await CompactionCluster.StartAsync(
            _directory, "Compaction:L0:MaxBlocks=2", "Compaction:MaxFailures=1", "Compaction:DeletionDelay=00:00:00");
        var s1 = await cluster2.AddSegmentAsync(2, DateTimeOffset.UtcNow, (Tenant, "checkout", 1));
        var s2 = await cluster2.AddSegmentAsync(2, DateTimeOffset.UtcNow, (Tenant, "checkout", 2));
        await cluster2.PollAsync(2);
        var doomed = await cluster2.Jobs.NextAsync();
        var orphan = (await BlockCompactor.RunAsync(doomed, cluster2.Store, 5, TestContext.Current.CancellationToken)).Single();
        await WaitUntilAsync(() => cluster2.Metrics.Jobs.ContainsKey((0, "abandoned")));

        Assert.Equal(1, await cluster2.Cleaner.SweepOrphansAsync(TestContext.Current.CancellationToken));
        Assert.DoesNotContain(orphan.Key, await cluster2.KeysAsync(BlockObjectKeys.BlocksPrefix));
        Assert.Equal([s1.Id, s2.Id], (await cluster2.BlocksAsync(2)).Select(b => b.Id).Order(StringComparer.Ordinal));

        // Given-up blocks are not batched again.
        Assert.Equal(0, (await cluster2.PollAsync(2)).JobsCreated);
    }

    [Fact]
    public async Task TombstonedObjects_AreDeletedOnlyAfterTheDelay()
    {
        await using var cluster = await CompactionCluster.StartAsync(_directory, "Compaction:L0:MaxBlocks=2", "Compaction:DeletionDelay=00:00:01");
        await cluster.AddSegmentAsync(1, DateTimeOffset.UtcNow, (Tenant, "checkout", 1));
        await cluster.AddSegmentAsync(1, DateTimeOffset.UtcNow, (Tenant, "checkout", 2));
        await cluster.PollAsync(1);
        await cluster.Worker.RunAsync(await cluster.Jobs.NextAsync(), TestContext.Current.CancellationToken);

        // Right after the commit the segments are still readable (queries planned before may read them).
        Assert.Equal(0, await cluster.Cleaner.CleanOnceAsync(TestContext.Current.CancellationToken));
        Assert.Equal(2, (await cluster.KeysAsync(BlockObjectKeys.SegmentsPrefix)).Count);

        await WaitUntilAsync(async () => await cluster.Cleaner.CleanOnceAsync(TestContext.Current.CancellationToken) == 2);
        Assert.Empty(await cluster.KeysAsync(BlockObjectKeys.SegmentsPrefix));
        Assert.Single(await cluster.KeysAsync(BlockObjectKeys.BlocksPrefix));
        Assert.Empty((await cluster.Metastore.ListTombstonesAsync(new ListTombstonesRequest { CreatedBefore = long.MaxValue }, TestContext.Current.CancellationToken)).Tombstones);
        Assert.Equal(2, cluster.Metrics.ObjectsDeleted);
    }

    private static Task WaitUntilAsync(Func<bool> condition) => WaitUntilAsync(() => Task.FromResult(condition()));

    /// <summary>Polls a condition that depends on a clock-driven event (a lease or a deletion delay running out).</summary>
    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition did not hold within 30 s");
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }
}
