using System.ComponentModel.DataAnnotations;
using System.Numerics;

namespace Dapr.Profiler.Metastore;

/// <summary>
/// Settings of the metastore, bound from the <c>Metastore</c> configuration section and validated at start.
/// </summary>
/// <remarks>
/// To add a setting: (1) add a property here with its default and a validation attribute (or a rule in
/// <see cref="Validate"/>); (2) say in its XML doc what raising and lowering it costs; (3) read it where it is used,
/// never copy the default elsewhere; (4) mention it in the project README if operators need to know it.
/// </remarks>
public sealed class MetastoreOptions : IValidatableObject
{
    /// <summary>The configuration section the options are bound from.</summary>
    public const string SectionName = "Metastore";

    /// <summary>
    /// The data directory; the metastore keeps its command log and snapshots in <c>{DataDirectory}/metastore</c>.
    /// It must be persistent storage: an acknowledged block exists only there (and in object storage) until a
    /// snapshot covers it.
    /// </summary>
    [Required(AllowEmptyStrings = false)]
    public string DataDirectory { get; set; } = "data";

    /// <summary>
    /// The width of an index partition, in data time. A block is indexed under every partition its datasets' time
    /// ranges overlap. Shorter partitions make narrow queries touch fewer blocks but index long-running datasets
    /// under more partitions (more memory, slower adds); longer ones do the opposite. The index is rebuilt from the
    /// snapshot and log at start, so this may be changed between restarts.
    /// </summary>
    [Range(typeof(TimeSpan), "00:01:00", "7.00:00:00")]
    public TimeSpan PartitionDuration { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// A dataset spanning more partitions than this goes to a "wide" list that every query of its tenant scans, so
    /// one dataset with an absurd time range cannot bloat the index. Lower values put more datasets in the list
    /// (each query scans it); higher values allow more index entries per dataset.
    /// </summary>
    [Range(1, 100_000)]
    public int MaxPartitionsPerDataset { get; set; } = 24 * 31;

    /// <summary>
    /// A snapshot is written after this many logged commands. Lower values shorten restarts and bound the log more
    /// tightly but write the whole index more often (I/O proportional to the index size each time).
    /// </summary>
    [Range(1, int.MaxValue)]
    public int SnapshotEveryCommands { get; set; } = 8192;

    /// <summary>
    /// A snapshot is also written after this many bytes of log. The log on disk stays below about twice this plus
    /// one segment (the log is truncated up to the previous snapshot, so a damaged newest snapshot is survivable).
    /// </summary>
    [Range(64L * 1024, long.MaxValue)]
    public long SnapshotEveryBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>
    /// The size of a FasterLog page (a power of two). A command must fit in one page, so this caps the encoded
    /// size of one block's metadata; the log holds two pages in memory.
    /// </summary>
    [Range(64 * 1024, 256 * 1024 * 1024)]
    public int LogPageSizeBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>
    /// The size of a log segment file (a power of two, at least one page). Truncation after a snapshot deletes whole
    /// segments only: smaller segments free disk sooner but mean more files.
    /// </summary>
    [Range(64L * 1024, 1L << 40)]
    public long LogSegmentSizeBytes { get; set; } = 16L * 1024 * 1024;

    /// <summary>
    /// Whether this node retries block metadata that the segment-writer left in the object store's <c>dlq/</c>
    /// prefix after a failed AddBlock. Disable only when another node does it.
    /// </summary>
    public bool DlqRecoveryEnabled { get; set; } = true;

    /// <summary>
    /// How often the DLQ is scanned (also once at start). Shorter intervals make blocks whose AddBlock failed
    /// queryable sooner, at the cost of one LIST request per interval against the object store.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan DlqRecoveryInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>The directory holding the metastore's files.</summary>
    public string MetastoreDirectory => Path.Combine(DataDirectory, "metastore");

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!BitOperations.IsPow2(LogPageSizeBytes))
        {
            yield return new ValidationResult("must be a power of two", [nameof(LogPageSizeBytes)]);
        }

        if (!BitOperations.IsPow2(LogSegmentSizeBytes))
        {
            yield return new ValidationResult("must be a power of two", [nameof(LogSegmentSizeBytes)]);
        }

        if (LogSegmentSizeBytes < LogPageSizeBytes)
        {
            yield return new ValidationResult(
                $"must be at least {nameof(LogPageSizeBytes)} ({LogPageSizeBytes})", [nameof(LogSegmentSizeBytes)]);
        }
    }
}
