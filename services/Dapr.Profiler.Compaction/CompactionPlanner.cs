using Dapr.Profiler.Block;
using Dapr.Profiler.Protos.Block;

namespace Dapr.Profiler.Compaction;

/// <summary>
/// A batch of blocks of one (tenant, shard, level) ready to become a job; <c>Forced</c> is true when it was released
/// by age (or by the span limit) rather than by being full.
/// </summary>
public sealed record CompactionBatch(string Tenant, uint Shard, uint Level, IReadOnlyList<BlockMeta> Blocks, bool Forced);

/// <summary>The batches to run now, in order, and when the next batch that is not full will be forced.</summary>
public sealed record CompactionPlan(IReadOnlyList<CompactionBatch> Ready, DateTimeOffset? NextForcedAt);

/// <summary>
/// Groups blocks into compaction batches, as Pyroscope v2 plans them. Pure: the same blocks, time and options give
/// the same plan.
/// <list type="bullet">
/// <item>Queue key (tenant, shard, level): level-0 segments are multi-tenant (tenant ""), so a level-0 job takes a
/// shard's segments and writes one level-1 block per tenant; later levels stay within one tenant and shard.</item>
/// <item>Within a key, blocks are taken oldest first (by id, i.e. creation time). A batch closes when it holds the
/// level's <c>MaxBlocks</c> or when the next block would make it span more than <c>MaxJobSpan</c> of data time.</item>
/// <item>A full batch, and one closed by the span limit, is ready. The last, open batch of a key is ready once its
/// oldest block is <c>MaxAge</c> old (forced); otherwise its deadline counts for <see cref="CompactionPlan.NextForcedAt"/>.</item>
/// <item>Ready batches come lowest level first, then oldest first.</item>
/// </list>
/// </summary>
public static class CompactionPlanner
{
    /// <param name="blocks">Candidate blocks (below the final level, not in a job); blocks at or above it are ignored.</param>
    /// <param name="now">The scheduler's clock.</param>
    /// <param name="options">Levels, span limit and final level.</param>
    public static CompactionPlan Plan(IEnumerable<BlockMeta> blocks, DateTimeOffset now, CompactionOptions options)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        ArgumentNullException.ThrowIfNull(options);
        var spanMs = (long)options.MaxJobSpan.TotalMilliseconds;
        var ready = new List<(CompactionBatch Batch, Ulid Oldest)>();
        DateTimeOffset? next = null;
        var groups = blocks
            .Where(b => b.CompactionLevel < options.FinalLevel)
            .GroupBy(b => (Tenant: b.CompactionLevel == 0 ? string.Empty : b.GetTenant(), b.Shard, Level: b.CompactionLevel));
        foreach (var group in groups)
        {
            var level = options.Level(group.Key.Level);
            var ordered = group.OrderBy(b => b.GetUlid()).ThenBy(b => b.Id, StringComparer.Ordinal).ToList();
            var batch = new List<BlockMeta>();
            long min = long.MaxValue, max = long.MinValue;

            void Release(bool forced)
            {
                ready.Add((new CompactionBatch(group.Key.Tenant, group.Key.Shard, group.Key.Level, [.. batch], forced), batch[0].GetUlid()));
                batch.Clear();
                min = long.MaxValue;
                max = long.MinValue;
            }

            foreach (var block in ordered)
            {
                if (batch.Count > 0 && Span(Math.Min(min, block.MinTime), Math.Max(max, block.MaxTime)) > spanMs)
                {
                    Release(forced: true);
                }

                batch.Add(block);
                min = Math.Min(min, block.MinTime);
                max = Math.Max(max, block.MaxTime);
                if (batch.Count >= level.MaxBlocks)
                {
                    Release(forced: false);
                }
            }

            if (batch.Count > 0)
            {
                var deadline = batch[0].GetUlid().Time + level.MaxAge;
                if (deadline <= now)
                {
                    Release(forced: true);
                }
                else if (next is null || deadline < next)
                {
                    next = deadline;
                }
            }
        }

        var order = ready
            .OrderBy(r => r.Batch.Level)
            .ThenBy(r => r.Oldest)
            .ThenBy(r => r.Batch.Tenant, StringComparer.Ordinal)
            .Select(r => r.Batch)
            .ToList();
        return new CompactionPlan(order, next);
    }

    /// <summary>The data time a batch covers, saturating instead of overflowing.</summary>
    private static long Span(long min, long max)
    {
        var span = (ulong)max - (ulong)min;
        return span > long.MaxValue ? long.MaxValue : (long)span;
    }
}
