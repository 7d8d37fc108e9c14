using System.Globalization;
using Dapr.Profiler.Block;
using Dapr.Profiler.Protos.Block;
using FsCheck;
using FsCheck.Fluent;

namespace Dapr.Profiler.Compaction.Tests;

/// <summary>
/// <see cref="CompactionPlanner"/> over random block sets: every rule of its documentation is checked against the
/// plan, and the blocks left out of the plan are checked to be exactly what the rules leave waiting.
/// </summary>
public sealed class PlannerPropertyTests
{
    private static readonly Config Config = Config.QuickThrowOnFailure.WithMaxTest(300);

    /// <summary>A fixed origin for the generated times (2025-01-01T00:00:00Z).</summary>
    private static readonly DateTimeOffset Origin = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly string[] Tenants = ["tenant-a", "tenant-b", "tenant-c"];

    [Fact]
    public void Plans_with_the_default_options_follow_every_batching_rule()
    {
        var gen =
            from blocks in BlocksGen()
            from now in NowGen()
            from seed in Gen.Choose(0, int.MaxValue)
            select new PlannerInput(blocks, now, new CompactionOptions(), seed);
        Check.One(Config, Prop.ForAll(gen.ToArbitrary(), CheckAllRules));
    }

    [Fact]
    public void Plans_with_small_random_limits_follow_every_batching_rule()
    {
        var gen =
            from blocks in BlocksGen()
            from now in NowGen()
            from options in OptionsGen()
            from seed in Gen.Choose(0, int.MaxValue)
            select new PlannerInput(blocks, now, options, seed);
        Check.One(Config, Prop.ForAll(gen.ToArbitrary(), CheckAllRules));
    }

    [Fact]
    public void Twenty_level_0_segments_make_one_full_batch()
    {
        var options = new CompactionOptions();
        var blocks = Segments(20, shard: 1);
        var now = Origin.AddSeconds(1);

        var plan = CompactionPlanner.Plan(blocks, now, options);

        var batch = Assert.Single(plan.Ready);
        Assert.False(batch.Forced);
        Assert.Equal((string.Empty, 1u, 0u), (batch.Tenant, batch.Shard, batch.Level));
        Assert.Equal(blocks.Select(b => b.Id), batch.Blocks.Select(b => b.Id));
        Assert.Null(plan.NextForcedAt);
    }

    [Fact]
    public void Nineteen_young_segments_wait_until_the_oldest_is_36_seconds_old()
    {
        var options = new CompactionOptions();
        var blocks = Segments(19, shard: 2);
        var oldest = blocks.Min(b => b.GetUlid()).Time;

        var plan = CompactionPlanner.Plan(blocks, oldest.AddSeconds(10), options);

        Assert.Empty(plan.Ready);
        Assert.Equal(oldest + options.L0.MaxAge, plan.NextForcedAt);
        Assert.Equal(oldest.AddSeconds(36), plan.NextForcedAt);
    }

    [Fact]
    public void Nineteen_segments_are_forced_once_the_oldest_is_37_seconds_old()
    {
        var options = new CompactionOptions();
        var blocks = Segments(19, shard: 2);
        var oldest = blocks.Min(b => b.GetUlid()).Time;

        var plan = CompactionPlanner.Plan(blocks, oldest.AddSeconds(37), options);

        var batch = Assert.Single(plan.Ready);
        Assert.True(batch.Forced);
        Assert.Equal(19, batch.Blocks.Count);
        Assert.Null(plan.NextForcedAt);
    }

    [Fact]
    public void A_batch_is_forced_exactly_at_its_deadline_and_not_one_millisecond_before()
    {
        var options = new CompactionOptions();
        var blocks = Segments(3, shard: 1);
        var deadline = blocks.Min(b => b.GetUlid()).Time + options.L0.MaxAge;

        var before = CompactionPlanner.Plan(blocks, deadline.AddMilliseconds(-1), options);
        var at = CompactionPlanner.Plan(blocks, deadline, options);

        Assert.Empty(before.Ready);
        Assert.Equal(deadline, before.NextForcedAt);
        Assert.Equal(3, Assert.Single(at.Ready).Blocks.Count);
        Assert.Null(at.NextForcedAt);
    }

    [Fact]
    public void Twenty_one_segments_make_one_full_batch_and_leave_the_newest_waiting()
    {
        var options = new CompactionOptions();
        var blocks = Segments(21, shard: 3);

        var plan = CompactionPlanner.Plan(blocks, Origin.AddSeconds(1), options);

        var batch = Assert.Single(plan.Ready);
        Assert.Equal(blocks.Take(20).Select(b => b.Id), batch.Blocks.Select(b => b.Id));
        Assert.Equal(blocks[20].GetUlid().Time + options.L0.MaxAge, plan.NextForcedAt);
    }

    [Fact]
    public void Level_1_blocks_more_than_three_hours_of_data_apart_go_to_separate_jobs()
    {
        var options = new CompactionOptions();
        var first = BlockMetas.Create(Origin, 0, shard: 1, "tenant-a", level: 1, minTime: 0, maxTime: 60_000);
        var second = BlockMetas.Create(Origin.AddSeconds(1), 1, shard: 1, "tenant-a", level: 1, minTime: 3 * 3_600_000, maxTime: (3 * 3_600_000) + 1);
        var third = BlockMetas.Create(Origin.AddSeconds(2), 2, shard: 1, "tenant-a", level: 1, minTime: 3 * 3_600_000, maxTime: (3 * 3_600_000) + 2);

        var plan = CompactionPlanner.Plan([third, first, second], Origin.AddSeconds(3), options);

        var batch = Assert.Single(plan.Ready);
        Assert.True(batch.Forced);
        Assert.Equal(first.Id, Assert.Single(batch.Blocks).Id);
        Assert.Equal(second.GetUlid().Time + options.L1.MaxAge, plan.NextForcedAt);
    }

    [Fact]
    public void Level_0_segments_of_different_tenants_share_one_batch_while_later_levels_do_not()
    {
        var options = new CompactionOptions();
        options.L0.MaxBlocks = 2;
        options.L1.MaxBlocks = 2;
        var blocks = new[]
        {
            BlockMetas.Create(Origin, 0, shard: 1, "tenant-a", level: 0, 0, 1),
            BlockMetas.Create(Origin, 1, shard: 1, "tenant-b", level: 0, 0, 1),
            BlockMetas.Create(Origin, 2, shard: 1, "tenant-a", level: 1, 0, 1),
            BlockMetas.Create(Origin, 3, shard: 1, "tenant-b", level: 1, 0, 1),
        };

        var plan = CompactionPlanner.Plan(blocks, Origin, options);

        var batch = Assert.Single(plan.Ready);
        Assert.Equal((string.Empty, 0u), (batch.Tenant, batch.Level));
        Assert.Equal([blocks[0].Id, blocks[1].Id], batch.Blocks.Select(b => b.Id));
        Assert.Equal(Origin + options.L1.MaxAge, plan.NextForcedAt);
    }

    private static void CheckAllRules(PlannerInput input)
    {
        var (blocks, now, options, seed) = input;
        var plan = CompactionPlanner.Plan(blocks, now, options);

        // Determinism: the same blocks in another order give the same plan.
        var shuffled = blocks.ToArray();
        new Random(seed).Shuffle(shuffled);
        Assert.Equal(Describe(plan), Describe(CompactionPlanner.Plan(shuffled, now, options)));
        Assert.Equal(Describe(plan), Describe(CompactionPlanner.Plan(blocks, now, options)));

        var spanMs = (long)options.MaxJobSpan.TotalMilliseconds;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var batch in plan.Ready)
        {
            var level = options.Level(batch.Level);
            Assert.NotEmpty(batch.Blocks);
            Assert.True(batch.Blocks.Count <= level.MaxBlocks, $"{batch.Blocks.Count} blocks > MaxBlocks {level.MaxBlocks}");
            Assert.True(batch.Level < options.FinalLevel, $"a batch of final level {batch.Level}");
            foreach (var block in batch.Blocks)
            {
                Assert.True(seen.Add(block.Id), $"block {block.Id} is planned twice");
                Assert.Equal(QueueKey(block), (batch.Tenant, batch.Shard, batch.Level));
                Assert.True(block.CompactionLevel < options.FinalLevel);
            }

            if (batch.Level == 0)
            {
                Assert.Equal(string.Empty, batch.Tenant);
            }

            Assert.True(IsStrictlyOldestFirst(batch.Blocks), "blocks of a batch are not oldest first");
            if (batch.Blocks.Count > 1)
            {
                Assert.True(DataSpan(batch.Blocks) <= spanMs, $"batch spans {DataSpan(batch.Blocks)} ms > {spanMs} ms");
            }

            // Full batches are not forced; every other ready batch is.
            Assert.Equal(batch.Blocks.Count < level.MaxBlocks, batch.Forced);
        }

        // Lowest level first, then oldest first.
        for (var i = 1; i < plan.Ready.Count; i++)
        {
            var (previous, current) = (plan.Ready[i - 1], plan.Ready[i]);
            Assert.True(
                previous.Level < current.Level || (previous.Level == current.Level && Oldest(previous) < Oldest(current)),
                $"batch {i} ({current.Level}, {Oldest(current)}) comes after ({previous.Level}, {Oldest(previous)})");
        }

        // Per queue: the ready batches cut the queue (oldest first) from its start, in order; each ended for a reason
        // (full, the next block would break the span, or its age); what is left is one young, open batch.
        DateTimeOffset? expectedNext = null;
        var queues = blocks
            .Where(b => b.CompactionLevel < options.FinalLevel)
            .GroupBy(QueueKey)
            .ToList();
        foreach (var queue in queues)
        {
            var level = options.Level(queue.Key.Level);
            var ordered = queue.OrderBy(b => b.GetUlid()).ToList();
            var position = 0;
            foreach (var batch in plan.Ready.Where(b => (b.Tenant, b.Shard, b.Level) == queue.Key))
            {
                Assert.Equal(ordered.Skip(position).Take(batch.Blocks.Count).Select(b => b.Id), batch.Blocks.Select(b => b.Id));
                position += batch.Blocks.Count;
                var full = batch.Blocks.Count == level.MaxBlocks;
                var spanClosed = position < ordered.Count && DataSpan([.. batch.Blocks, ordered[position]]) > spanMs;
                var aged = Oldest(batch).Time + level.MaxAge <= now;
                Assert.True(full || spanClosed || aged, $"batch of {batch.Blocks.Count} blocks of {queue.Key} is neither full, span-closed nor old enough");
                if (!full && !spanClosed)
                {
                    Assert.Equal(ordered.Count, position);
                }
            }

            var open = ordered.Skip(position).ToList();
            Assert.Equal(ordered.Count, position + open.Count);
            Assert.True(open.Count < level.MaxBlocks, $"{open.Count} blocks of {queue.Key} wait although the level takes {level.MaxBlocks}");
            if (open.Count == 0)
            {
                continue;
            }

            Assert.True(open.Count == 1 || DataSpan(open) <= spanMs, $"waiting blocks of {queue.Key} span {DataSpan(open)} ms");
            var deadline = open[0].GetUlid().Time + level.MaxAge;
            Assert.True(deadline > now, $"waiting blocks of {queue.Key} are past their deadline {deadline:O}");
            expectedNext = expectedNext is null || deadline < expectedNext ? deadline : expectedNext;
        }

        Assert.Equal(expectedNext, plan.NextForcedAt);
        Assert.All(blocks.Where(b => b.CompactionLevel >= options.FinalLevel), b => Assert.DoesNotContain(b.Id, seen));
    }

    private static (string Tenant, uint Shard, uint Level) QueueKey(BlockMeta block) =>
        (block.CompactionLevel == 0 ? string.Empty : block.GetTenant(), block.Shard, block.CompactionLevel);

    private static Ulid Oldest(CompactionBatch batch) => batch.Blocks.Min(b => b.GetUlid());

    private static bool IsStrictlyOldestFirst(IReadOnlyList<BlockMeta> blocks)
    {
        for (var i = 1; i < blocks.Count; i++)
        {
            if (blocks[i - 1].GetUlid() >= blocks[i].GetUlid())
            {
                return false;
            }
        }

        return true;
    }

    private static long DataSpan(IReadOnlyCollection<BlockMeta> blocks) => blocks.Max(b => b.MaxTime) - blocks.Min(b => b.MinTime);

    private static string Describe(CompactionPlan plan) =>
        string.Join('\n', plan.Ready.Select(b => $"{b.Level}/{b.Shard}/{b.Tenant}/{b.Forced}: {string.Join(',', b.Blocks.Select(x => x.Id))}"))
        + "\nnext " + plan.NextForcedAt?.ToString("O", CultureInfo.InvariantCulture);

    /// <summary><paramref name="count"/> level-0 segments of one shard created one millisecond apart, each with 5 s of data.</summary>
    private static BlockMeta[] Segments(int count, uint shard) =>
        [.. Enumerable.Range(0, count).Select(i => BlockMetas.Create(Origin.AddMilliseconds(i), i, shard, Tenants[i % Tenants.Length], 0, Origin.ToUnixTimeMilliseconds(), Origin.ToUnixTimeMilliseconds() + 5_000))];

    /// <summary>
    /// Random blocks: either spread (shards 1–4, data anywhere in six hours, so span limits and ages decide) or dense
    /// (one or two shards, short data within an hour, many blocks, so level limits fill batches).
    /// </summary>
    private static Gen<BlockMeta[]> BlocksGen() =>
        Gen.Frequency(
            (2, BlocksGen(maxShard: 4, dataFrom: -2 * 3_600_000, dataTo: 4 * 3_600_000, Gen.Frequency((4, Gen.Choose(0, 15 * 60_000)), (1, Gen.Choose(0, 4 * 3_600_000))), maxCount: 80)),
            (1, BlocksGen(maxShard: 2, dataFrom: 0, dataTo: 3_600_000, Gen.Choose(0, 15 * 60_000), maxCount: 120)));

    private static Gen<BlockMeta[]> BlocksGen(int maxShard, int dataFrom, int dataTo, Gen<int> dataLength, int maxCount)
    {
        var origin = Origin.ToUnixTimeMilliseconds();
        var spec =
            from shard in Gen.Choose(1, maxShard)
            from tenant in Gen.Elements(Tenants)
            from level in Gen.Frequency((5, Gen.Constant(0)), (3, Gen.Constant(1)), (2, Gen.Constant(2)), (1, Gen.Constant(3)))
            from created in Gen.Frequency(
                (3, Gen.Choose(0, 4 * 3_600_000)),
                (1, Gen.Choose(0, 24).Select(x => x * 600_000)))
            from start in Gen.Choose(dataFrom, dataTo)
            from length in dataLength
            select (Shard: (uint)shard, Tenant: tenant, Level: (uint)level, Created: created, Start: start, Length: length);
        return
            from count in Gen.Frequency((1, Gen.Choose(0, 5)), (3, Gen.Choose(5, maxCount)))
            from specs in spec.ArrayOf(count)
            select specs
                .Select((s, i) => BlockMetas.Create(Origin.AddMilliseconds(s.Created), i, s.Shard, s.Tenant, s.Level, origin + s.Start, origin + s.Start + s.Length))
                .ToArray();
    }

    private static Gen<DateTimeOffset> NowGen() =>
        Gen.Frequency(
            (4, Gen.Choose(-3_600_000, 8 * 3_600_000)),
            (1, Gen.Choose(0, 4 * 360).Select(x => x * 10_000)))
        .Select(ms => Origin.AddMilliseconds(ms));

    private static Gen<CompactionOptions> OptionsGen()
    {
        var level =
            from maxBlocks in Gen.Choose(1, 6)
            from maxAgeSeconds in Gen.Frequency((3, Gen.Choose(1, 7_200)), (1, Gen.Choose(1, 8 * 3_600)))
            select new CompactionLevelOptions { MaxBlocks = maxBlocks, MaxAge = TimeSpan.FromSeconds(maxAgeSeconds) };
        return
            from l0 in level
            from l1 in level
            from l2 in level
            from spanMinutes in Gen.Choose(1, 4 * 60)
            from finalLevel in Gen.Choose(1, 3)
            select new CompactionOptions { L0 = l0, L1 = l1, L2 = l2, MaxJobSpan = TimeSpan.FromMinutes(spanMinutes), FinalLevel = finalLevel };
    }

    private sealed record PlannerInput(BlockMeta[] Blocks, DateTimeOffset Now, CompactionOptions Options, int Seed)
    {
        public override string ToString()
        {
            var origin = Origin.ToUnixTimeMilliseconds();
            var levels = string.Join(", ", new[] { Options.L0, Options.L1, Options.L2 }.Select(l => $"{l.MaxBlocks}/{l.MaxAge}"));
            var blocks = string.Join(
                "\n  ",
                Blocks.Select(b => $"{b.Id} (+{b.GetUlid().TimestampMs - origin} ms) S{b.Shard} L{b.CompactionLevel} T{b.GetTenant()} data [{b.MinTime - origin}, {b.MaxTime - origin}]"));
            return $"now +{(Now - Origin).TotalMilliseconds} ms, levels {levels}, span {Options.MaxJobSpan}, final {Options.FinalLevel}, seed {Seed}\n  {blocks}";
        }
    }
}
