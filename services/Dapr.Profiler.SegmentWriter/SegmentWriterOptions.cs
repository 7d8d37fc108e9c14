using System.ComponentModel.DataAnnotations;

namespace Dapr.Profiler.SegmentWriter;

/// <summary>
/// Settings of the segment-writer (configuration section <c>SegmentWriter</c>). To add one: a property with its
/// default and range here, its trade-off in the doc comment, and its use in <see cref="SegmentWriterService"/>.
/// </summary>
public sealed class SegmentWriterOptions
{
    public const string Section = "SegmentWriter";

    /// <summary>
    /// How long a segment stays open (Pyroscope: 500 ms). Each closed segment is one object per active shard:
    /// longer windows mean fewer objects (cheaper storage requests) but a longer wait before a push is acknowledged.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan SegmentDuration { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// A segment closes early once its profiles add up to this many (uncompressed protobuf) bytes, bounding the
    /// memory one shard holds and the size of one object.
    /// </summary>
    [Range(64 * 1024, 1L << 31)]
    public long MaxSegmentBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>Time allowed for one object upload attempt.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00")]
    public TimeSpan UploadTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Retries of a failed upload (with backoff from 50 ms doubling to at most 1 s) before the pushes fail.</summary>
    [Range(0, 20)]
    public int UploadRetries { get; set; } = 3;

    /// <summary>Time allowed to register the segment in the metastore before its metadata goes to the DLQ.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00")]
    public TimeSpan AddBlockTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// When the metastore cannot register a segment, write its metadata to <c>dlq/</c> in object storage (the
    /// metastore recovers it) and still acknowledge. Off: such pushes fail and the client retries.
    /// </summary>
    public bool MetadataDlqEnabled { get; set; } = true;

    /// <summary>Recorded as <c>created_by</c> in every segment (default: the host name).</summary>
    [Required]
    public string InstanceName { get; set; } = Environment.MachineName;
}
