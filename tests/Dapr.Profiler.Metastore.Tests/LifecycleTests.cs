using System.Buffers.Binary;
using Dapr.Profiler.Block;
using Dapr.Profiler.Protos.Block;
using Dapr.Profiler.Protos.Metastore;
using Google.Protobuf;

namespace Dapr.Profiler.Metastore.Tests;

/// <summary>
/// Compaction commits (lease, then replace), tombstones, and the life-cycle state (tombstones, leases, retention
/// edges) across restarts.
/// </summary>
public sealed class LifecycleTests : MetastoreTestBase
{
    internal static readonly string[] SegmentTenants = ["tenant-0", "tenant-1", "tenant-2", "tenant-3"];
    private static readonly long Now = TestBlocks.Ms(TestBlocks.Now);
    private static readonly long Hour = (long)TimeSpan.FromHours(1).TotalMilliseconds;
    private static readonly long Day = (long)TimeSpan.FromDays(1).TotalMilliseconds;

    /// <summary>When the restart test writes an explicit snapshot.</summary>
    public enum SnapshotAt
    {
        /// <summary>Never: the restart replays the whole log.</summary>
        Never,

        /// <summary>Between two commits: the restart loads the snapshot and replays the log after it.</summary>
        Midway,

        /// <summary>Last: the restart loads everything from the snapshot.</summary>
        End,
    }

    [Fact]
    public async Task ReplaceBlocks_WithTheCurrentLease_SwapsTheSourcesForTheOutputs_AndTombstonesTheSourcesAtTheCommandTime()
    {
        var clock = new ManualClock(TestBlocks.Now);
        var node = await OpenAsync(clock: clock);
        var service = new MetastoreService(node);
        var sources = await AddSegmentsAsync(service, 3, shard: 1);
        var outputs = CompactedOutputs(sources, clock.Now);

        var before = await QueryAllAsync(service);
        var lease = await LeaseAsync(service, "job-1", sources);
        clock.Advance(TimeSpan.FromSeconds(5));
        var commit = await ReplaceAsync(service, "job-1", lease.Token, sources, outputs);
        var after = await QueryAllAsync(service);

        Assert.True(lease.SourcesPresent);
        Assert.Equal(ReplaceBlocksOutcome.Applied, commit.Outcome);
        Assert.Equal(Ids(sources), Ids(before.Blocks));
        Assert.Equal(Ids(outputs), Ids(after.Blocks));
        Assert.Equal(ProfileCounts(before), ProfileCounts(after));
        var states = await StatesAsync(service, sources.Concat(outputs));
        Assert.Equal(Ids(outputs), Sorted(states.Indexed));
        Assert.Equal(Ids(sources), Sorted(states.Tombstoned));

        var commitTime = TestBlocks.Ms(clock.Now);
        var tombstones = await TombstonesAsync(service, commitTime);
        Assert.Equal(
            sources.Select(s => (BlockObjectKeys.Of(s), s.Id, commitTime, 0u, s.Size)).OrderBy(t => t.Item1, StringComparer.Ordinal),
            tombstones.Select(t => (t.ObjectKey, t.BlockId, t.CreatedAt, t.CompactionLevel, t.Size)));
        Assert.Empty(await TombstonesAsync(service, commitTime - 1));
        Assert.Equal(2, (await TombstonesAsync(service, commitTime, limit: 2)).Count);
    }

    [Fact]
    public async Task ReplaceBlocks_WithATombstonedOutput_CommitsNothing_AndTheSourcesStay()
    {
        var node = await OpenAsync();
        var service = new MetastoreService(node);
        var sources = await AddSegmentsAsync(service, 2, shard: 1);
        var outputs = CompactedOutputs(sources, TestBlocks.Now);

        // A completion of a job that holds no lease condemns its outputs (they are orphans).
        Assert.Equal(ReplaceBlocksOutcome.NoOp, (await ReplaceAsync(service, "job-never-leased", 1, sources, outputs)).Outcome);
        Assert.Equal(Ids(outputs), Sorted((await StatesAsync(service, outputs)).Tombstoned));

        var lease = await LeaseAsync(service, "job-1", sources);
        var commit = await ReplaceAsync(service, "job-1", lease.Token, sources, outputs);
        Assert.Equal(ReplaceBlocksOutcome.NoOp, commit.Outcome);
        Assert.Contains("tombstoned", commit.Reason, StringComparison.Ordinal);
        Assert.Equal(Ids(sources), Sorted((await StatesAsync(service, sources)).Indexed));
        Assert.Empty((await StatesAsync(service, outputs)).Indexed);
    }

    [Fact]
    public async Task AFailingBlockAddedListener_DoesNotFailOrHangTheWrite()
    {
        var node = await OpenAsync();
        var shards = new List<uint>();
        node.BlockAdded += shard => shards.Add(shard);
        node.BlockAdded += _ => throw new ObjectDisposedException("listener");
        var service = new MetastoreService(node);

        var blocks = await AddSegmentsAsync(service, 3, shard: 2);
        Assert.Equal(Ids(blocks), Sorted((await StatesAsync(service, blocks)).Indexed));
        Assert.Equal([2u, 2u, 2u], shards);
    }

    [Fact]
    public async Task LeaseJob_WithAMissingSource_RecordsNoLease()
    {
        var node = await OpenAsync();
        var service = new MetastoreService(node);
        var sources = await AddSegmentsAsync(service, 2, shard: 1);
        var ghost = TestBlocks.Segment(99, TestBlocks.Now.AddMinutes(1));
        var lease = await LeaseAsync(service, "job-ghost", [sources[0], ghost]);
        Assert.False(lease.SourcesPresent);

        // Nothing is leased under that name: a completion with the token is no lease's, and commits nothing.
        var commit = await ReplaceAsync(service, "job-ghost", lease.Token, [sources[0]], CompactedOutputs([sources[0]], TestBlocks.Now));
        Assert.Equal(ReplaceBlocksOutcome.NoOp, commit.Outcome);
        Assert.Contains("no lease", commit.Reason, StringComparison.Ordinal);
        Assert.Equal(Ids(sources), Sorted((await StatesAsync(service, sources)).Indexed));
    }

    [Fact]
    public async Task QueryMetadata_WhileCompactionJobsCommit_SeesEveryProfileExactlyOnce()
    {
        const int Jobs = 8;
        const int PerJob = 4;
        var node = await OpenAsync();
        var service = new MetastoreService(node);
        var sources = await AddSegmentsAsync(service, Jobs * PerJob, shard: 1);
        var jobs = sources.Chunk(PerJob).Select((s, i) => (Name: $"job-{i}", Sources: s, Outputs: CompactedOutputs(s, TestBlocks.Now))).ToList();
        var expected = ProfileCounts(await QueryAllAsync(service));

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Token);
        var firstRead = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reads = 0;
        var readers = Enumerable.Range(0, 2).Select(_ => Task.Run(
            async () =>
            {
                do
                {
                    var response = await QueryAllAsync(service);
                    Assert.Equal(expected, ProfileCounts(response));
                    var visible = response.Blocks.Select(b => b.Id).ToHashSet(StringComparer.Ordinal);
                    foreach (var job in jobs)
                    {
                        var s = job.Sources.Count(b => visible.Contains(b.Id));
                        var o = job.Outputs.Count(b => visible.Contains(b.Id));
                        Assert.True(
                            (s, o) == (job.Sources.Length, 0) || (s, o) == (0, job.Outputs.Count),
                            $"{job.Name}: {s} of its sources and {o} of its outputs visible in one answer");
                    }

                    Interlocked.Increment(ref reads);
                    firstRead.TrySetResult();
                }
                while (!stop.IsCancellationRequested);
            },
            Token)).ToList();

        await firstRead.Task.WaitAsync(Token);
        var outcomes = await Task.WhenAll(jobs.Select(job => Task.Run(
            async () =>
            {
                var lease = await LeaseAsync(service, job.Name, job.Sources);
                return (await ReplaceAsync(service, job.Name, lease.Token, job.Sources, job.Outputs)).Outcome;
            },
            Token)));
        await stop.CancelAsync();
        await Task.WhenAll(readers);

        Assert.All(outcomes, outcome => Assert.Equal(ReplaceBlocksOutcome.Applied, outcome));
        var final = await QueryAllAsync(service);
        Assert.Equal(Ids(jobs.SelectMany(j => j.Outputs)), Ids(final.Blocks));
        Assert.Equal(expected, ProfileCounts(final));
        Assert.True(reads > 1);
    }

    [Fact]
    public async Task ReplaceBlocks_WithAnEarlierLeasesToken_IsRejectedAsStale_AndChangesNothing_WhileTheCurrentTokenCommits()
    {
        var service = new MetastoreService(await OpenAsync());
        var sources = await AddSegmentsAsync(service, 2, shard: 1);
        var outputs = CompactedOutputs(sources, TestBlocks.Now);

        var first = await LeaseAsync(service, "job", sources);
        var second = await LeaseAsync(service, "job", sources);
        var stale = await ReplaceAsync(service, "job", first.Token, sources, outputs);

        Assert.True(second.Token > first.Token);
        Assert.Equal(ReplaceBlocksOutcome.StaleToken, stale.Outcome);
        Assert.Equal(Ids(sources), Ids((await QueryAllAsync(service)).Blocks));
        var states = await StatesAsync(service, sources.Concat(outputs));
        Assert.Equal(Ids(sources), Sorted(states.Indexed));
        Assert.Empty(states.Tombstoned);
        Assert.Empty(await TombstonesAsync(service, long.MaxValue));

        var current = await ReplaceAsync(service, "job", second.Token, sources, outputs);

        Assert.Equal(ReplaceBlocksOutcome.Applied, current.Outcome);
        Assert.Equal(Ids(outputs), Ids((await QueryAllAsync(service)).Blocks));
    }

    [Fact]
    public async Task ReplaceBlocks_CompletedTwice_IsANoOp_AndLeavesTheOutputsIndexed()
    {
        var service = new MetastoreService(await OpenAsync());
        var sources = await AddSegmentsAsync(service, 2, shard: 1);
        var outputs = CompactedOutputs(sources, TestBlocks.Now);
        var lease = await LeaseAsync(service, "job", sources);
        Assert.Equal(ReplaceBlocksOutcome.Applied, (await ReplaceAsync(service, "job", lease.Token, sources, outputs)).Outcome);
        var tombstones = await TombstonesAsync(service, long.MaxValue);

        var again = await ReplaceAsync(service, "job", lease.Token, sources, outputs);

        Assert.Equal(ReplaceBlocksOutcome.NoOp, again.Outcome);
        Assert.Equal(Ids(outputs), Ids((await QueryAllAsync(service)).Blocks));
        var states = await StatesAsync(service, outputs);
        Assert.Equal(Ids(outputs), Sorted(states.Indexed));
        Assert.Empty(states.Tombstoned);
        Assert.Equal(tombstones, await TombstonesAsync(service, long.MaxValue));
    }

    [Fact]
    public async Task ReplaceBlocks_AfterRetentionRemovedASource_IsANoOp_AndTombstonesTheOutputs_SoExpiredDataNeverComesBack()
    {
        // Pyroscope issue 5436: a compaction job that ran while retention deleted one of its sources re-inserted the
        // expired data through its output block.
        var clock = new ManualClock(TestBlocks.Now);
        var node = await OpenAsync(clock: clock);
        var service = new MetastoreService(node);
        var old = TestBlocks.Create(new DatasetSpec("acme", "api", Now - (10 * Day) - Hour, Now - (10 * Day)));
        var recent = TestBlocks.Create(new DatasetSpec("acme", "api", Now - Hour, Now));
        await AddAsync(service, old, recent);
        var outputs = CompactedOutputs([old, recent], clock.Now);
        var lease = await LeaseAsync(service, "job", [old, recent]);

        using var retention = RetentionTests.NewRetention(node, clock, TimeSpan.FromDays(7));
        Assert.Equal(1, await retention.ApplyOnceAsync(Token));
        var commit = await ReplaceAsync(service, "job", lease.Token, [old, recent], outputs);

        Assert.True(lease.SourcesPresent);
        Assert.Equal(ReplaceBlocksOutcome.NoOp, commit.Outcome);
        Assert.Contains(old.Id, commit.Reason, StringComparison.Ordinal);
        Assert.Equal([recent.Id], Ids((await QueryAllAsync(service, ["acme"])).Blocks));
        var states = await StatesAsync(service, outputs.Append(old).Append(recent));
        Assert.Equal([recent.Id], states.Indexed);
        Assert.Equal(Ids(outputs.Append(old)), Sorted(states.Tombstoned));

        // A worker retrying, or DLQ recovery re-adding, the output does not bring it back either; a new lease is told
        // that a source is gone.
        await AddAsync(service, outputs[0]);
        Assert.Equal([recent.Id], Ids((await QueryAllAsync(service, ["acme"])).Blocks));
        Assert.False((await LeaseAsync(service, "job", [old, recent])).SourcesPresent);
    }

    [Fact]
    public async Task AddBlock_OfACompactedBlock_IsIgnored_AndDeleteTombstones_ForgetsTheTombstone()
    {
        var service = new MetastoreService(await OpenAsync());
        var sources = await AddSegmentsAsync(service, 2, shard: 1);
        var outputs = CompactedOutputs(sources, TestBlocks.Now);
        var lease = await LeaseAsync(service, "job", sources);
        await ReplaceAsync(service, "job", lease.Token, sources, outputs);

        // The segment-writer's retry (or DLQ recovery) sends a source again after it was compacted.
        await AddAsync(service, sources[0]);

        Assert.Equal(Ids(outputs), Ids((await QueryAllAsync(service)).Blocks));
        Assert.Equal(Ids(sources), Sorted((await StatesAsync(service, sources)).Tombstoned));

        await service.DeleteTombstonesAsync(new DeleteTombstonesRequest { ObjectKeys = { BlockObjectKeys.Of(sources[0]) } }, Token);

        var left = Assert.Single(await TombstonesAsync(service, long.MaxValue));
        Assert.Equal(sources[1].Id, left.BlockId);
        var states = await StatesAsync(service, sources);
        Assert.Empty(states.Indexed);
        Assert.Equal([sources[1].Id], states.Tombstoned);
        Assert.Equal(1, (await service.IndexStatsAsync(new IndexStatsRequest(), Token)).Tombstones);
    }

    [Theory]
    [InlineData(SnapshotAt.Never)]
    [InlineData(SnapshotAt.Midway)]
    [InlineData(SnapshotAt.End)]
    public async Task Tombstones_Leases_RetentionEdges_AndCompactableBlocks_SurviveARestart(SnapshotAt snapshotAt)
    {
        var clock = new ManualClock(TestBlocks.Now);
        var options = NewOptions();
        var node = await OpenAsync(options, clock: clock);
        var service = new MetastoreService(node);
        var old = TestBlocks.Create(new DatasetSpec("acme", "api", Now - (10 * Day) - Hour, Now - (10 * Day)));
        var deletedOld = TestBlocks.Create(new DatasetSpec("acme", "web", Now - (11 * Day), Now - (11 * Day) + 1));
        await AddAsync(service, old, deletedOld);
        var segments = await AddSegmentsAsync(service, 4, shard: 1);
        await AddSegmentsAsync(service, 1, shard: 2);
        Assert.Equal(2, await TruncateAsync(node, TimeSpan.FromDays(7)));

        clock.Advance(TimeSpan.FromMinutes(1));
        var jobA = segments[..2];
        var outputsA = CompactedOutputs(jobA, clock.Now);
        await LeaseAsync(service, "job-a", jobA);
        var leaseA = await LeaseAsync(service, "job-a", jobA);
        Assert.Equal(ReplaceBlocksOutcome.Applied, (await ReplaceAsync(service, "job-a", leaseA.Token, jobA, outputsA)).Outcome);
        if (snapshotAt == SnapshotAt.Midway)
        {
            await node.SnapshotAsync();
        }

        clock.Advance(TimeSpan.FromMinutes(1));
        var jobB = segments[2..];
        var outputsB = CompactedOutputs(jobB, clock.Now);
        var staleB = await LeaseAsync(service, "job-b", jobB);
        var leaseB = await LeaseAsync(service, "job-b", jobB);
        await service.DeleteTombstonesAsync(new DeleteTombstonesRequest { ObjectKeys = { BlockObjectKeys.Of(deletedOld) } }, Token);
        if (snapshotAt == SnapshotAt.End)
        {
            await node.SnapshotAsync();
        }

        var before = await FingerprintAsync(node, service);
        await node.DisposeAsync();
        clock.Advance(TimeSpan.FromMinutes(1));
        var reopened = await OpenAsync(options, clock: clock);
        service = new MetastoreService(reopened);

        Assert.Equal(before, await FingerprintAsync(reopened, service));
        if (snapshotAt == SnapshotAt.End)
        {
            Assert.Equal(0, reopened.LastRecovery.Commands);
        }
        else
        {
            Assert.True(reopened.LastRecovery.Commands > 0);
        }

        // Leases: the committed job stays committed, the earlier lease of job-b is still stale, its current one commits.
        Assert.Equal(ReplaceBlocksOutcome.NoOp, (await ReplaceAsync(service, "job-a", leaseA.Token, jobA, outputsA)).Outcome);
        Assert.Equal(ReplaceBlocksOutcome.StaleToken, (await ReplaceAsync(service, "job-b", staleB.Token, jobB, outputsB)).Outcome);
        Assert.Equal(ReplaceBlocksOutcome.Applied, (await ReplaceAsync(service, "job-b", leaseB.Token, jobB, outputsB)).Outcome);
        Assert.True((await LeaseAsync(service, "job-c", outputsA)).Token > leaseB.Token);

        // Tombstones: a compacted source sent again stays out. Retention edges: a late block of expired data is
        // tombstoned instead of indexed, and the expired range stays empty.
        var late = TestBlocks.Create(new DatasetSpec("acme", "api", Now - (9 * Day), Now - (9 * Day) + Hour));
        await AddAsync(service, jobA[0], late);
        var states = await StatesAsync(service, [jobA[0], late, old, deletedOld]);
        Assert.Empty(states.Indexed);
        Assert.Equal(Ids([jobA[0], late, old]), Sorted(states.Tombstoned));
        Assert.Empty((await QueryAllAsync(service, ["acme"], 0, Now - (8 * Day))).Blocks);
    }

    [Fact]
    public async Task Version1Snapshot_WithoutLifeCycleState_StillLoads()
    {
        var options = NewOptions();
        var node = await OpenAsync(options);
        var service = new MetastoreService(node);
        var blocks = await AddSegmentsAsync(service, 5, shard: 1);
        await node.SnapshotAsync();
        await node.DisposeAsync();
        var path = Assert.Single(Directory.GetFiles(SnapshotDirectory, "snapshot-*.bin"));
        await File.WriteAllBytesAsync(path, Version1Snapshot(SnapshotStore.Read(path)), Token);

        var reopened = await OpenAsync(options);
        service = new MetastoreService(reopened);

        Assert.Equal(5, reopened.LastRecovery.SnapshotBlocks);
        Assert.Equal(0, reopened.LastRecovery.Commands);
        Assert.Equal(Ids(blocks), Ids((await QueryAllAsync(service)).Blocks));
        Assert.Empty(await TombstonesAsync(service, long.MaxValue));
        var lease = await LeaseAsync(service, "job", blocks);
        var outputs = CompactedOutputs(blocks, TestBlocks.Now);
        Assert.Equal(ReplaceBlocksOutcome.Applied, (await ReplaceAsync(service, "job", lease.Token, blocks, outputs)).Outcome);
    }

    [Fact]
    public async Task CompactableBlocks_ListOnlyTheShardsBlocksBelowTheLevel_OldestFirst()
    {
        var service = new MetastoreService(await OpenAsync());
        var (shard1Level0, shard1Level1, shard1Level2, shard2Level0) = await AddLeveledBlocksAsync(service);

        var belowLevel1 = await CompactableAsync(service, 1, 1);
        var belowLevel2 = await CompactableAsync(service, 1, 2);
        var belowLevel3 = await CompactableAsync(service, 1, 3);
        var shard2 = await CompactableAsync(service, 2, 1);

        Assert.Equal(ByAge(shard1Level0), belowLevel1);
        Assert.Equal([.. ByAge(shard1Level0), .. ByAge(shard1Level1)], belowLevel2);
        Assert.Equal([.. ByAge(shard1Level0), .. ByAge(shard1Level1), .. shard1Level2], belowLevel3);
        Assert.Equal(ByAge(shard2Level0), shard2);
        Assert.Empty(await CompactableAsync(service, 1, 0));
        Assert.Empty(await CompactableAsync(service, 3, 5));
    }

    [Fact]
    public async Task IndexStats_ReportBlocksAndBytesPerLevel_AndFollowACompaction()
    {
        var service = new MetastoreService(await OpenAsync());
        var (_, _, _, shard2Level0) = await AddLeveledBlocksAsync(service);

        var before = await service.IndexStatsAsync(new IndexStatsRequest(), Token);

        Assert.Equal([(0u, 5L, 630L), (1u, 2L, 3000L), (2u, 1L, 5000L)], Levels(before));
        Assert.Equal(0, before.Tombstones);

        var output = Assert.Single(CompactedOutputs(shard2Level0, TestBlocks.Now));
        output.Size = 25;
        var lease = await LeaseAsync(service, "shard-2", shard2Level0);
        await ReplaceAsync(service, "shard-2", lease.Token, shard2Level0, [output]);
        var after = await service.IndexStatsAsync(new IndexStatsRequest(), Token);

        Assert.Equal([(0u, 3L, 600L), (1u, 3L, 3025L), (2u, 1L, 5000L)], Levels(after));
        Assert.Equal(2, after.Tombstones);
        Assert.Equal([output], await CompactableAsync(service, 2, 2));
    }

    private static async Task<(BlockMeta[] Shard1Level0, BlockMeta[] Shard1Level1, BlockMeta[] Shard1Level2, BlockMeta[] Shard2Level0)> AddLeveledBlocksAsync(MetastoreService service)
    {
        static BlockMeta Block(uint shard, uint level, int minutes, ulong size)
        {
            var block = TestBlocks.Create(
                [new DatasetSpec("acme", "api", Now - Hour, Now)],
                shard,
                level == 0 ? string.Empty : "acme",
                level,
                Ulid.NewUlid(TestBlocks.Now.AddMinutes(minutes)).ToString());
            block.Size = size;
            return block;
        }

        BlockMeta[] shard1Level0 = [Block(1, 0, 3, 100), Block(1, 0, 1, 200), Block(1, 0, 2, 300)];
        BlockMeta[] shard1Level1 = [Block(1, 1, -10, 1000), Block(1, 1, -20, 2000)];
        BlockMeta[] shard1Level2 = [Block(1, 2, -30, 5000)];
        BlockMeta[] shard2Level0 = [Block(2, 0, 0, 10), Block(2, 0, -1, 20)];
        await AddAsync(service, [.. shard1Level1, shard2Level0[0], .. shard1Level0, .. shard1Level2, shard2Level0[1]]);
        return (shard1Level0, shard1Level1, shard1Level2, shard2Level0);
    }

    private static BlockMeta[] ByAge(IEnumerable<BlockMeta> blocks) => [.. blocks.OrderBy(b => b.GetUlid())];

    private static async Task<BlockMeta[]> CompactableAsync(MetastoreService service, uint shard, uint belowLevel) =>
        [.. (await service.CompactableBlocksAsync(new CompactableBlocksRequest { Shard = shard, BelowLevel = belowLevel }, Token)).Blocks];

    private static (uint Level, long Blocks, long Bytes)[] Levels(IndexStatsResponse stats) =>
        [.. stats.Levels.Select(l => (l.Level, l.Blocks, l.Bytes))];

    /// <summary>Everything a restart must keep, as text (so a difference shows in the assertion message).</summary>
    private static async Task<string> FingerprintAsync(MetastoreNode node, MetastoreService service)
    {
        var lines = new List<string> { "indexed " + string.Join(',', await DurabilityTests.IdsAsync(node)) };
        lines.AddRange((await TombstonesAsync(service, long.MaxValue)).Select(t => "tombstone " + t));
        foreach (var (shard, below) in new (uint, uint)[] { (1, 1), (1, 2), (2, 1), (2, 2) })
        {
            lines.Add($"compactable {shard} < {below}: " + string.Join(',', (await CompactableAsync(service, shard, below)).Select(b => b.Id)));
        }

        lines.Add("stats " + await service.IndexStatsAsync(new IndexStatsRequest(), Token));
        return string.Join('\n', lines);
    }

    /// <summary>The snapshot as the first format wrote it: the blocks only, no life-cycle state.</summary>
    private static byte[] Version1Snapshot(SnapshotData snapshot)
    {
        using var file = new MemoryStream();
        var header = new byte[36];
        "DPMSNAP1"u8.CopyTo(header);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(8), 1);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(12), snapshot.Address);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(20), snapshot.LastIndex);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(28), snapshot.Blocks.Count);
        file.Write(header);
        using (var output = new CodedOutputStream(file, leaveOpen: true))
        {
            foreach (var block in snapshot.Blocks)
            {
                output.WriteLength(block.CalculateSize());
                block.WriteTo(output);
            }
        }

        var trailer = new byte[12];
        BinaryPrimitives.WriteUInt32LittleEndian(trailer, Crc32C.Compute(file.GetBuffer().AsSpan(0, (int)file.Length)));
        "DPMSEND1"u8.CopyTo(trailer.AsSpan(4));
        file.Write(trailer);
        return file.ToArray();
    }

    internal static async Task AddAsync(MetastoreService service, params BlockMeta[] blocks)
    {
        foreach (var block in blocks)
        {
            await service.AddBlockAsync(new AddBlockRequest { Block = block }, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>Multi-tenant segments (four tenants, five services each) with varied profile counts.</summary>
    internal static async Task<BlockMeta[]> AddSegmentsAsync(MetastoreService service, int count, uint shard)
    {
        var blocks = new BlockMeta[count];
        for (var i = 0; i < count; i++)
        {
            var block = TestBlocks.Segment(((int)shard * 1000) + i, TestBlocks.Now.AddSeconds(-i), shard);
            for (var d = 0; d < block.Datasets.Count; d++)
            {
                block.Datasets[d].ProfileCount = (uint)((i * 31) + d + 1);
            }

            blocks[i] = block;
        }

        await AddAsync(service, blocks);
        return blocks;
    }

    /// <summary>What a compaction worker writes for the sources: one level-1 block per tenant, one dataset per service.</summary>
    internal static List<BlockMeta> CompactedOutputs(IReadOnlyCollection<BlockMeta> sources, DateTimeOffset time, uint level = 1)
    {
        var shard = sources.First().Shard;
        var datasets = sources.SelectMany(s => s.Datasets.Select(d => (
            Tenant: s.GetTenant(d), Service: s.GetServiceName(d), d.MinTime, d.MaxTime, d.ProfileCount, Types: s.GetProfileTypes(d))));
        var outputs = new List<BlockMeta>();
        foreach (var tenant in datasets.GroupBy(d => d.Tenant).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var services = tenant.GroupBy(d => d.Service).OrderBy(g => g.Key, StringComparer.Ordinal).ToList();
            var block = TestBlocks.Create(
                services.Select(g => new DatasetSpec(tenant.Key, g.Key, g.Min(d => d.MinTime), g.Max(d => d.MaxTime))
                {
                    ProfileTypes = [.. g.SelectMany(d => d.Types).Distinct().Order(StringComparer.Ordinal)],
                }),
                shard,
                tenant.Key,
                level,
                Ulid.NewUlid(time).ToString());
            for (var i = 0; i < services.Count; i++)
            {
                block.Datasets[i].ProfileCount = (uint)services[i].Sum(d => d.ProfileCount);
            }

            outputs.Add(block);
        }

        return outputs;
    }

    internal static Task<LeaseJobResponse> LeaseAsync(MetastoreService service, string job, IEnumerable<BlockMeta> sources) =>
        service.LeaseJobAsync(new LeaseJobRequest { Job = job, SourceBlockIds = { sources.Select(s => s.Id) } }, TestContext.Current.CancellationToken);

    internal static Task<ReplaceBlocksResponse> ReplaceAsync(
        MetastoreService service, string job, ulong token, IReadOnlyCollection<BlockMeta> sources, IEnumerable<BlockMeta> outputs) =>
        service.ReplaceBlocksAsync(
            new ReplaceBlocksRequest
            {
                Job = job,
                Token = token,
                Shard = sources.First().Shard,
                SourceBlockIds = { sources.Select(s => s.Id) },
                Outputs = { outputs },
            },
            TestContext.Current.CancellationToken);

    internal static Task<BlockStatesResponse> StatesAsync(MetastoreService service, IEnumerable<BlockMeta> blocks) =>
        service.BlockStatesAsync(new BlockStatesRequest { BlockIds = { blocks.Select(b => b.Id) } }, TestContext.Current.CancellationToken);

    internal static async Task<List<Tombstone>> TombstonesAsync(MetastoreService service, long createdBefore, int limit = 0) =>
        [.. (await service.ListTombstonesAsync(new ListTombstonesRequest { CreatedBefore = createdBefore, Limit = limit }, TestContext.Current.CancellationToken)).Tombstones];

    /// <summary>Retention as a direct command (no snapshots afterwards, unlike <see cref="RetentionService"/>).</summary>
    internal static async Task<int> TruncateAsync(MetastoreNode node, TimeSpan period)
    {
        var request = new TruncateRequest { DefaultRetentionMs = (long)period.TotalMilliseconds };
        var response = await node.ProposeAsync(new Command { Truncate = request }, null, TestContext.Current.CancellationToken);
        return ((TruncateResponse)response!).BlocksRemoved;
    }

    internal static Task<QueryMetadataResponse> QueryAllAsync(MetastoreService service, string[]? tenants = null, long start = 0, long end = long.MaxValue) =>
        QueryMetadataTests.QueryAsync(service, tenants ?? SegmentTenants, start, end, "");

    /// <summary>Profiles per tenant/service in an answer: a consistent index shows each profile exactly once.</summary>
    internal static SortedDictionary<string, long> ProfileCounts(QueryMetadataResponse response)
    {
        var counts = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var block in response.Blocks)
        {
            foreach (var dataset in block.Datasets)
            {
                var key = block.GetTenant(dataset) + "/" + block.GetServiceName(dataset);
                counts[key] = counts.GetValueOrDefault(key) + dataset.ProfileCount;
            }
        }

        return counts;
    }

    internal static string[] Ids(IEnumerable<BlockMeta> blocks) => Sorted(blocks.Select(b => b.Id));

    internal static string[] Sorted(IEnumerable<string> ids) => [.. ids.Order(StringComparer.Ordinal)];
}
