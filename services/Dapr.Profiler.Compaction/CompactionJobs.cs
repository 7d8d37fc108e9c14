using System.Globalization;
using System.Text;
using Dapr.Profiler.Block;
using Dapr.Profiler.Model;
using Dapr.Profiler.Protos.Block;
using Dapr.Profiler.Protos.Compaction;

namespace Dapr.Profiler.Compaction;

/// <summary>Names of jobs and ids of their outputs: both follow from the sources alone, so retries are idempotent.</summary>
public static class CompactionJobs
{
    /// <summary>The writer name recorded in compacted blocks (the same on every worker, so a retry writes the same bytes).</summary>
    public const string CreatedBy = "compaction-worker";

    /// <summary><c>hex(xxhash64(source ids))-T{tenant}-S{shard}-L{level}</c>, as Pyroscope names jobs.</summary>
    public static string Name(CompactionBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var hash = XxHash64.Hash(string.Join('\n', batch.Blocks.Select(b => b.Id)));
        return string.Create(CultureInfo.InvariantCulture, $"{hash:x16}-T{batch.Tenant}-S{batch.Shard}-L{batch.Level}");
    }

    /// <summary>A new job for a batch (lease fields are set by the scheduler).</summary>
    public static CompactionJob Create(CompactionBatch batch, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var job = new CompactionJob
        {
            Name = Name(batch),
            Shard = batch.Shard,
            Tenant = batch.Tenant,
            Level = batch.Level,
            CreatedAt = now.ToUnixTimeMilliseconds(),
        };
        job.SourceBlockIds.AddRange(batch.Blocks.Select(b => b.Id));
        return job;
    }

    /// <summary>
    /// The id of a job's output for one tenant: the time of the oldest source's id, and randomness from a hash of the
    /// source ids, the tenant and the output level.
    /// </summary>
    public static string OutputId(IEnumerable<BlockMeta> sources, string tenant, uint outputLevel)
    {
        ArgumentNullException.ThrowIfNull(sources);
        ArgumentNullException.ThrowIfNull(tenant);
        var ordered = sources.Select(s => s.GetUlid()).Order().ToList();
        var seed = new StringBuilder();
        foreach (var id in ordered)
        {
            seed.Append(id.ToString()).Append('\n');
        }

        seed.Append(tenant).Append('\n').Append(outputLevel.ToString(CultureInfo.InvariantCulture));
        return Ulid.FromHash(ordered[0].Time, Encoding.UTF8.GetBytes(seed.ToString())).ToString();
    }

    /// <summary>
    /// The creation time of the oldest source (what time to first compaction is measured from): from the source ids,
    /// which every job carries (the scheduler keeps only those), else from the source metadata.
    /// </summary>
    public static DateTimeOffset OldestSourceTime(CompactionJob job)
    {
        ArgumentNullException.ThrowIfNull(job);
        return job.SourceBlockIds.Count > 0
            ? job.SourceBlockIds.Min(id => Ulid.Parse(id)).Time
            : job.Sources.Min(s => s.GetUlid()).Time;
    }
}
