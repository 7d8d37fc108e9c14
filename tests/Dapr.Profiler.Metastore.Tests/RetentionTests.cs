using Dapr.Profiler.Protos.Block;
using Dapr.Profiler.Protos.Metastore;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using static Dapr.Profiler.Metastore.Tests.LifecycleTests;

namespace Dapr.Profiler.Metastore.Tests;

/// <summary>
/// Retention on data time, with a clock the test sets. Tenant <c>short</c> keeps 2 days, <c>keep</c> keeps data
/// forever, every other tenant the default 7 days. Index partitions are 1 h; the test clock is 6 min 40 s into an hour.
/// </summary>
public sealed class RetentionTests(ITestOutputHelper output) : MetastoreTestBase
{
    private static readonly long Now = TestBlocks.Ms(TestBlocks.Now);
    private static readonly long Hour = (long)TimeSpan.FromHours(1).TotalMilliseconds;
    private static readonly long Day = (long)TimeSpan.FromDays(1).TotalMilliseconds;

    /// <summary>The start of the partition holding now − 2 days: short's data ending before it expires.</summary>
    private static readonly long ShortEdge = Floor(Now - (2 * Day));

    [Fact]
    public async Task ApplyOnce_RemovesAndTombstonesOnlyTheBlocksWhoseDataAllEndsBeforeTheirTenantsEdge()
    {
        var clock = new ManualClock(TestBlocks.Now);
        var node = await OpenAsync(clock: clock);
        var service = new MetastoreService(node);
        var blocks = await SeedAsync(service);
        using var retention = Standard(node, clock);

        var removed = await retention.ApplyOnceAsync(Token);

        Assert.Equal(3, removed);
        var states = await StatesAsync(service, blocks.All);
        Assert.Equal(Ids(blocks.All.Except(blocks.ExpiredAtNow)), Sorted(states.Indexed));
        Assert.Equal(Ids(blocks.ExpiredAtNow), Sorted(states.Tombstoned));
        var tombstones = await TombstonesAsync(service, Now);
        Assert.Equal(Ids(blocks.ExpiredAtNow), Sorted(tombstones.Select(t => t.BlockId)));
        Assert.All(tombstones, t => Assert.Equal(Now, t.CreatedAt));
        await AssertShortAfterRetentionAtNowAsync(service, blocks);
        Assert.Equal(Ids([blocks.Mixed, blocks.KeepAncient]), Ids((await QueryAllAsync(service, ["keep"])).Blocks));
        Assert.Equal(["archive"], (await LabelValuesAsync(service, "keep", "service_name")).Names);
        Assert.Equal(Ids([blocks.OtherRecent]), Ids((await QueryAllAsync(service, ["other"])).Blocks));
    }

    [Fact]
    public async Task ApplyOnce_KeepsABlockStraddlingTheEdge_WithAllItsData()
    {
        var clock = new ManualClock(TestBlocks.Now);
        var node = await OpenAsync(clock: clock);
        var service = new MetastoreService(node);
        var blocks = await SeedAsync(service);
        using var retention = Standard(node, clock);

        await retention.ApplyOnceAsync(Token);

        var straddling = Assert.Single((await QueryAllAsync(service, ["short"], ShortEdge - Hour, ShortEdge - Hour)).Blocks);
        Assert.Equal(blocks.ShortStraddling.Id, straddling.Id);
        var dataset = Assert.Single(straddling.Datasets);
        Assert.Equal((ShortEdge - Hour, ShortEdge + Hour), (dataset.MinTime, dataset.MaxTime));
    }

    [Fact]
    public async Task RetentionEdges_NeverMoveBack_WhenTheClockGoesBack()
    {
        var clock = new ManualClock(TestBlocks.Now);
        var node = await OpenAsync(clock: clock);
        var service = new MetastoreService(node);
        var blocks = await SeedAsync(service);
        using var retention = Standard(node, clock);
        Assert.Equal(3, await retention.ApplyOnceAsync(Token));

        clock.Set(TestBlocks.Now.AddDays(-5));
        Assert.Equal(0, await retention.ApplyOnceAsync(Token));

        await AssertShortAfterRetentionAtNowAsync(service, blocks);

        // A late block of data between the edge this clock would give and the edge reached before stays out.
        var late = TestBlocks.Create(new DatasetSpec("short", "legacy", Now - (3 * Day), Now - (3 * Day) + Hour));
        await AddAsync(service, late);
        Assert.Equal([late.Id], (await StatesAsync(service, [late])).Tombstoned);

        // Forward again: the edges advance past the straddling block and the start of short's edge partition.
        clock.Set(TestBlocks.Now.AddDays(1));
        Assert.Equal(2, await retention.ApplyOnceAsync(Token));
        Assert.Equal([blocks.ShortRecent.Id], Ids((await QueryAllAsync(service, ["short"])).Blocks));
    }

    [Fact]
    public async Task AddBlock_WithAllDataBeforeItsTenantsEdges_IsTombstonedInsteadOfIndexed()
    {
        var clock = new ManualClock(TestBlocks.Now);
        var node = await OpenAsync(clock: clock);
        var service = new MetastoreService(node);
        await SeedAsync(service);
        using var retention = Standard(node, clock);
        await retention.ApplyOnceAsync(Token);
        clock.Advance(TimeSpan.FromMinutes(1));

        var expired = TestBlocks.Create(
            new DatasetSpec("short", "legacy", Now - (5 * Day), Now - (5 * Day) + Hour),
            new DatasetSpec("other", "svc", Now - (9 * Day), Now - (9 * Day) + Hour));
        var partlyForever = TestBlocks.Create(
            new DatasetSpec("short", "legacy", Now - (5 * Day), Now - (5 * Day) + Hour),
            new DatasetSpec("keep", "archive", Now - (5 * Day), Now - (5 * Day) + Hour));
        await AddAsync(service, expired, partlyForever);

        var states = await StatesAsync(service, [expired, partlyForever]);
        Assert.Equal([partlyForever.Id], states.Indexed);
        Assert.Equal([expired.Id], states.Tombstoned);
        var tombstone = Assert.Single(await TombstonesAsync(service, long.MaxValue), t => t.BlockId == expired.Id);
        Assert.Equal(TestBlocks.Ms(clock.Now), tombstone.CreatedAt);
        Assert.DoesNotContain(partlyForever.Id, Ids((await QueryAllAsync(service, ["short"])).Blocks));
        Assert.Contains(partlyForever.Id, Ids((await QueryAllAsync(service, ["keep"])).Blocks));
    }

    [Fact]
    public async Task ZeroRetention_KeepsEveryBlockForever()
    {
        var clock = new ManualClock(TestBlocks.Now);
        var node = await OpenAsync(clock: clock);
        var service = new MetastoreService(node);
        var blocks = await SeedAsync(service);
        using var retention = NewRetention(node, clock, TimeSpan.Zero);

        clock.Set(TestBlocks.Now.AddYears(10));
        var removed = await retention.ApplyOnceAsync(Token);
        var ancient = TestBlocks.Create(new DatasetSpec("other", "svc", Now - (3000 * Day), Now - (3000 * Day) + Hour));
        await AddAsync(service, ancient);

        Assert.Equal(0, removed);
        Assert.Empty(await TombstonesAsync(service, long.MaxValue));
        Assert.Equal(Ids(blocks.All.Append(ancient)), await DurabilityTests.IdsAsync(node));
        Assert.Equal([DatasetSpec.Alloc, DatasetSpec.Cpu], (await ProfileTypesAsync(service, "short")).ProfileTypes.Select(t => t.ID));
    }

    [Fact]
    public async Task RetentionEdges_SurviveARestart_SoExpiredDataInBlocksThatStayRemainsHidden()
    {
        var clock = new ManualClock(TestBlocks.Now);
        var options = NewOptions();
        var node = await OpenAsync(options, clock: clock);
        var blocks = await SeedAsync(new MetastoreService(node));
        using (var retention = Standard(node, clock))
        {
            await retention.ApplyOnceAsync(Token);
        }

        await node.DisposeAsync();
        var service = new MetastoreService(await OpenAsync(options, clock: clock));

        await AssertShortAfterRetentionAtNowAsync(service, blocks);
        var late = TestBlocks.Create(new DatasetSpec("short", "legacy", Now - (3 * Day), Now - (3 * Day) + Hour));
        await AddAsync(service, late);
        Assert.Equal([late.Id], (await StatesAsync(service, [late])).Tombstoned);
    }

    [Fact]
    public async Task Retention_RemovingManyBlocks_ShrinksTheMetastoreOnDisk()
    {
        var (before, after, recent, options) = await RemoveManyBlocksAsync();

        Assert.True(after.Total < before.Total, $"{after.Total} B on disk after retention, {before.Total} B before");
        Assert.Equal(Ids(recent), Ids(SnapshotStore.Read(NewestSnapshot()).Blocks));

        var reopened = await OpenAsync(options);
        Assert.Equal(Ids(recent), await DurabilityTests.IdsAsync(reopened));
        Assert.Equal(0, reopened.LastRecovery.Commands);
    }

    [Fact]
    public async Task Retention_RemovingManyBlocks_LeavesNoSnapshotHoldingThem_AndFreesMostOfTheDisk()
    {
        var (before, after, recent, _) = await RemoveManyBlocksAsync();

        foreach (var file in Directory.GetFiles(SnapshotDirectory, "snapshot-*.bin"))
        {
            Assert.Equal(Ids(recent), Ids(SnapshotStore.Read(file).Blocks));
        }

        Assert.True(after.Total < before.Total / 4, $"{after.Total} B on disk after retention removed 99% of the blocks, {before.Total} B before");
    }

    /// <summary>
    /// Indexes 2 000 segments of 10-day-old data and 20 recent ones with snapshots every 200 commands, applies a
    /// 7-day retention and closes the node; returns the metastore's bytes on disk before and after retention.
    /// </summary>
    private async Task<(DiskUse Before, DiskUse After, List<BlockMeta> Recent, MetastoreOptions Options)> RemoveManyBlocksAsync()
    {
        const int Expired = 2000;
        const int Kept = 20;
        var clock = new ManualClock(TestBlocks.Now);
        var options = NewOptions();
        options.LogPageSizeBytes = 64 * 1024;
        options.LogSegmentSizeBytes = 64 * 1024;
        options.SnapshotEveryCommands = 200;
        var node = await OpenAsync(options, clock: clock);
        var service = new MetastoreService(node);
        var old = Enumerable.Range(0, Expired).Select(i => TestBlocks.Segment(i, TestBlocks.Now.AddDays(-10).AddSeconds(i), shard: (uint)(i % 4)));
        var recent = Enumerable.Range(0, Kept).Select(i => TestBlocks.Segment(i, TestBlocks.Now.AddMinutes(-i), shard: (uint)(i % 4))).ToList();
        foreach (var chunk in old.Concat(recent).Chunk(50))
        {
            await Task.WhenAll(chunk.Select(b => node.AddBlockAsync(b, Token)));
        }

        await node.WaitForSnapshotAsync();
        var before = DiskUse.Of(LogDirectory, SnapshotDirectory);
        using var retention = NewRetention(node, clock, TimeSpan.FromDays(7));

        var removed = await retention.ApplyOnceAsync(Token);
        var after = DiskUse.Of(LogDirectory, SnapshotDirectory);
        output.WriteLine($"metastore directory: {before} before retention, {after} after");
        Assert.Equal(Expired, removed);
        Assert.Equal(Ids(recent), Ids((await QueryAllAsync(service)).Blocks));
        await node.DisposeAsync();
        return (before, after, recent, options);
    }

    private string NewestSnapshot() =>
        Directory.GetFiles(SnapshotDirectory, "snapshot-*.bin").Order(StringComparer.Ordinal).Last();

    internal static RetentionService NewRetention(MetastoreNode node, TimeProvider clock, TimeSpan period, params (string Tenant, TimeSpan Period)[] tenants)
    {
        var options = new RetentionOptions { Period = period };
        foreach (var (tenant, tenantPeriod) in tenants)
        {
            options.Tenants[tenant] = tenantPeriod;
        }

        return new RetentionService(node, Options.Create(options), clock, NullLogger<RetentionService>.Instance);
    }

    private static RetentionService Standard(MetastoreNode node, TimeProvider clock) =>
        NewRetention(node, clock, TimeSpan.FromDays(7), ("short", TimeSpan.FromDays(2)), ("keep", TimeSpan.Zero));

    private static long Floor(long ms) => ms / Hour * Hour;

    /// <summary>What tenant short sees once retention ran at <see cref="TestBlocks.Now"/>.</summary>
    private static async Task AssertShortAfterRetentionAtNowAsync(MetastoreService service, Seeded blocks)
    {
        Assert.Equal(
            Ids([blocks.ShortInEdgePartition, blocks.ShortStraddling, blocks.ShortRecent]),
            Ids((await QueryAllAsync(service, ["short"])).Blocks));
        Assert.Empty((await QueryAllAsync(service, ["short"], 0, ShortEdge - Hour - 1)).Blocks);
        Assert.Equal(["api", "edge"], (await LabelValuesAsync(service, "short", "service_name")).Names);
        Assert.Equal(["new-pod"], (await LabelValuesAsync(service, "short", "pod")).Names);
        Assert.Equal([DatasetSpec.Cpu], (await ProfileTypesAsync(service, "short")).ProfileTypes.Select(t => t.ID));
    }

    private static async Task<Seeded> SeedAsync(MetastoreService service)
    {
        var blocks = new Seeded(
            Mixed: TestBlocks.Create(
                new DatasetSpec("short", "legacy", Now - (10 * Day) - Hour, Now - (10 * Day)) { ProfileTypes = [DatasetSpec.Alloc] },
                new DatasetSpec("keep", "archive", Now - (10 * Day) - Hour, Now - (10 * Day))),
            ShortOld: TestBlocks.Create(new DatasetSpec("short", "legacy", Now - (3 * Day) - Hour, Now - (3 * Day))
            {
                ProfileTypes = [DatasetSpec.Alloc],
                LabelValues = [("pod", ["old-pod"], false)],
            }),
            ShortJustBeforeEdge: TestBlocks.Create(new DatasetSpec("short", "api", ShortEdge - Hour, ShortEdge - 1)),
            ShortInEdgePartition: TestBlocks.Create(new DatasetSpec("short", "api", ShortEdge, Now - (2 * Day) - 1)),
            ShortStraddling: TestBlocks.Create(new DatasetSpec("short", "edge", ShortEdge - Hour, ShortEdge + Hour)),
            ShortRecent: TestBlocks.Create(new DatasetSpec("short", "api", Now - Hour, Now) { LabelValues = [("pod", ["new-pod"], false)] }),
            KeepAncient: TestBlocks.Create(new DatasetSpec("keep", "archive", Now - (400 * Day), Now - (400 * Day) + Hour)),
            OtherOld: TestBlocks.Create(new DatasetSpec("other", "svc", Now - (8 * Day), Now - (8 * Day) + Hour)),
            OtherRecent: TestBlocks.Create(new DatasetSpec("other", "svc", Now - (6 * Day), Now - (6 * Day) + Hour)));
        await AddAsync(service, blocks.All);
        return blocks;
    }

    private static Task<LabelValuesResponse> LabelValuesAsync(MetastoreService service, string tenant, string name) =>
        service.LabelValuesAsync(new LabelValuesRequest { Name = name, Query = AllTime(tenant) }, TestContext.Current.CancellationToken);

    private static Task<ProfileTypesResponse> ProfileTypesAsync(MetastoreService service, string tenant) =>
        service.ProfileTypesAsync(AllTime(tenant), TestContext.Current.CancellationToken);

    private static MetadataQueryRequest AllTime(string tenant) => new() { TenantId = { tenant }, StartTime = 0, EndTime = long.MaxValue };

    /// <summary>Bytes of the command log and of the snapshots.</summary>
    private readonly record struct DiskUse(long Log, long Snapshots)
    {
        public long Total => Log + Snapshots;

        public static DiskUse Of(string logDirectory, string snapshotDirectory) => new(Bytes(logDirectory), Bytes(snapshotDirectory));

        public override string ToString() => $"{Total} B (log {Log} B, snapshots {Snapshots} B)";

        private static long Bytes(string directory)
        {
            long total = 0;
            foreach (var file in new DirectoryInfo(directory).EnumerateFiles("*", SearchOption.AllDirectories))
            {
                try
                {
                    total += file.Length;
                }
                catch (FileNotFoundException)
                {
                    // A log segment FASTER deleted (truncation) between listing and sizing.
                }
            }

            return total;
        }
    }

    /// <summary>The seeded blocks (every one but <see cref="Mixed"/> holds one tenant's data).</summary>
    private sealed record Seeded(
        BlockMeta Mixed,
        BlockMeta ShortOld,
        BlockMeta ShortJustBeforeEdge,
        BlockMeta ShortInEdgePartition,
        BlockMeta ShortStraddling,
        BlockMeta ShortRecent,
        BlockMeta KeepAncient,
        BlockMeta OtherOld,
        BlockMeta OtherRecent)
    {
        /// <summary>A multi-tenant segment: short's datasets expire, keep's never do, so it stays.</summary>
        public BlockMeta[] All => [Mixed, ShortOld, ShortJustBeforeEdge, ShortInEdgePartition, ShortStraddling, ShortRecent, KeepAncient, OtherOld, OtherRecent];

        /// <summary>What retention at <see cref="TestBlocks.Now"/> removes.</summary>
        public BlockMeta[] ExpiredAtNow => [ShortOld, ShortJustBeforeEdge, OtherOld];
    }
}
