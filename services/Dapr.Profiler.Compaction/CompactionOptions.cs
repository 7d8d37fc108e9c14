using System.ComponentModel.DataAnnotations;

namespace Dapr.Profiler.Compaction;

/// <summary>The batching rule of one compaction level.</summary>
public sealed class CompactionLevelOptions
{
    /// <summary>A batch is released as a job once it holds this many blocks.</summary>
    public int MaxBlocks { get; set; }

    /// <summary>A batch that is not full is forced once its oldest block (by creation time) is this old.</summary>
    public TimeSpan MaxAge { get; set; }
}

/// <summary>
/// Settings of compaction, bound from the <c>Compaction</c> section and validated at start. The defaults are
/// Pyroscope v2's: L0 → L1 in batches of 20 (forced after 36 s), L1 → L2 and L2 → L3 in batches of 10 (forced after
/// 12 min and 3 h), L3 final; jobs span at most 3 h of data; a lease lasts 15 s and a job is given up after 3
/// failures; tombstoned objects are deleted 15 min after they left the index.
/// </summary>
public sealed class CompactionOptions : IValidatableObject
{
    /// <summary>The configuration section the options are bound from.</summary>
    public const string SectionName = "Compaction";

    /// <summary>Whether the scheduler plans jobs. Off: blocks stay as they are written (workers still delete tombstoned objects).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Level 0 (segments of a shard, all tenants) → one level-1 block per tenant.</summary>
    public CompactionLevelOptions L0 { get; set; } = new() { MaxBlocks = 20, MaxAge = TimeSpan.FromSeconds(36) };

    /// <summary>Level 1 → 2, per (tenant, shard).</summary>
    public CompactionLevelOptions L1 { get; set; } = new() { MaxBlocks = 10, MaxAge = TimeSpan.FromMinutes(12) };

    /// <summary>Level 2 → 3, per (tenant, shard).</summary>
    public CompactionLevelOptions L2 { get; set; } = new() { MaxBlocks = 10, MaxAge = TimeSpan.FromHours(3) };

    /// <summary>Blocks of this level are final and never compacted (3: L0, L1 and L2 are compacted).</summary>
    public int FinalLevel { get; set; } = 3;

    /// <summary>No job covers more than this much data time (from its blocks' earliest to latest profile).</summary>
    public TimeSpan MaxJobSpan { get; set; } = TimeSpan.FromHours(3);

    /// <summary>How long a worker holds a job before the scheduler leases it to another with a new fencing token.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Expired leases a job may have before the scheduler gives it up (its blocks are not batched again).</summary>
    public int MaxFailures { get; set; } = 3;

    /// <summary>How long an object stays after it left the index, so that queries planned before finish reading it.</summary>
    public TimeSpan DeletionDelay { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>How often workers look for tombstones whose delay has passed (and, every 10th time, for orphaned objects).</summary>
    public TimeSpan CleanupInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The scheduler's periodic reminder: it re-reads the shard's blocks even if no notification arrived.</summary>
    public TimeSpan ReconcileInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Jobs one scheduler (shard) keeps leased at once; more batches wait for the next poll.</summary>
    public int MaxJobsInFlight { get; set; } = 16;

    /// <summary>Brotli quality of compacted blocks (written once, read many times).</summary>
    [Range(1, 11)]
    public int CompressionLevel { get; set; } = 5;

    /// <summary>The batching rule of a source level (0, 1 or 2).</summary>
    public CompactionLevelOptions Level(uint level) => level switch
    {
        0 => L0,
        1 => L1,
        _ => L2,
    };

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var (name, level) in new[] { ("L0", L0), ("L1", L1), ("L2", L2) })
        {
            if (level.MaxBlocks is < 1 or > 1000)
            {
                yield return new ValidationResult($"{SectionName}:{name}:MaxBlocks must be between 1 and 1000", [name]);
            }

            if (level.MaxAge <= TimeSpan.Zero || level.MaxAge > TimeSpan.FromDays(365))
            {
                yield return new ValidationResult($"{SectionName}:{name}:MaxAge must be positive and at most 365 days", [name]);
            }
        }

        if (FinalLevel is < 1 or > 3)
        {
            yield return new ValidationResult($"{SectionName}:{nameof(FinalLevel)} must be 1, 2 or 3", [nameof(FinalLevel)]);
        }

        if (MaxJobSpan <= TimeSpan.Zero)
        {
            yield return new ValidationResult($"{SectionName}:{nameof(MaxJobSpan)} must be positive", [nameof(MaxJobSpan)]);
        }

        if (LeaseDuration < TimeSpan.FromMilliseconds(100))
        {
            yield return new ValidationResult($"{SectionName}:{nameof(LeaseDuration)} must be at least 100 ms", [nameof(LeaseDuration)]);
        }

        if (MaxFailures < 1)
        {
            yield return new ValidationResult($"{SectionName}:{nameof(MaxFailures)} must be at least 1", [nameof(MaxFailures)]);
        }

        if (DeletionDelay < TimeSpan.Zero)
        {
            yield return new ValidationResult($"{SectionName}:{nameof(DeletionDelay)} must not be negative", [nameof(DeletionDelay)]);
        }

        if (CleanupInterval < TimeSpan.FromMilliseconds(100) || ReconcileInterval < TimeSpan.FromMilliseconds(100))
        {
            yield return new ValidationResult($"{SectionName}:{nameof(CleanupInterval)} and {nameof(ReconcileInterval)} must be at least 100 ms", [nameof(CleanupInterval)]);
        }

        if (MaxJobsInFlight < 1)
        {
            yield return new ValidationResult($"{SectionName}:{nameof(MaxJobsInFlight)} must be at least 1", [nameof(MaxJobsInFlight)]);
        }
    }
}
