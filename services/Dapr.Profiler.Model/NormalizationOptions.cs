using System.ComponentModel.DataAnnotations;

namespace Dapr.Profiler.Model;

/// <summary>
/// Limits and rules applied when a profile becomes series. Defaults are Pyroscope's, except where noted.
/// To add a setting: add a property with its default and a range here, document its trade-off, and enforce it
/// in <see cref="SeriesNormalizer"/>; hosts bind this class from configuration and validate it at start.
/// </summary>
public sealed class NormalizationOptions
{
    public static NormalizationOptions Default { get; } = new();

    /// <summary>Most labels one series may carry before the profile type labels are added (Pyroscope: 30).</summary>
    [Range(1, 1000)]
    public int MaxLabelNamesPerSeries { get; init; } = 30;

    /// <summary>Longest label name in bytes (Pyroscope: 1024).</summary>
    [Range(1, 65536)]
    public int MaxLabelNameLength { get; init; } = 1024;

    /// <summary>Longest label value in bytes (Pyroscope: 2048).</summary>
    [Range(1, 65536)]
    public int MaxLabelValueLength { get; init; } = 2048;

    /// <summary>
    /// Deepest stack kept, in frames after inline expansion: each line of a location is one frame, a location
    /// without lines is one. A deeper stack keeps its root-side <c>MaxStackDepth - 1</c> frames and gets one frame
    /// named <see cref="SeriesNormalizer.TruncatedFramesName"/> at the leaf in place of the rest, as Pyroscope
    /// truncates (Pyroscope: 1000).
    /// </summary>
    [Range(1, 100_000)]
    public int MaxStackDepth { get; init; } = 1000;

    /// <summary>
    /// Most lines (inlined frames) one location may have; a profile with a longer location is rejected. Real
    /// inlining chains are a few dozen lines deep; this bounds what one location id can expand to.
    /// </summary>
    [Range(1, 100_000)]
    public int MaxLinesPerLocation { get; init; } = 512;

    /// <summary>
    /// Most frames one profile may have in total: the inline-expanded depth of every sample, after truncation to
    /// <see cref="MaxStackDepth"/>, summed over its samples; more is rejected. Pyroscope has no such limit; it bounds
    /// what one profile can cost a query, which walks every frame of every sample it merges.
    /// </summary>
    [Range(1, int.MaxValue)]
    public int MaxFramesPerProfile { get; init; } = 4_000_000;

    /// <summary>Most samples one profile may have; more is rejected (Pyroscope: 16000).</summary>
    [Range(1, 10_000_000)]
    public int MaxSamplesPerProfile { get; init; } = 16_000;

    /// <summary>
    /// Most series one profile may split into through its sample labels (pprof labels such as a request path);
    /// more is rejected as a cardinality explosion rather than stored.
    /// </summary>
    [Range(1, 100_000)]
    public int MaxSeriesPerProfile { get; init; } = 1_000;

    /// <summary>Longest symbol string; longer ones keep their last characters (Pyroscope: 65535).</summary>
    [Range(16, 1_000_000)]
    public int MaxSymbolValueLength { get; init; } = 65_535;

    /// <summary>
    /// Rewrites dots in label names to underscores (<c>otel.scope.name</c> becomes <c>otel_scope_name</c>).
    /// On by default here; newer Pyroscope releases keep dots unless sanitisation is enabled.
    /// </summary>
    public bool SanitizeLabelNames { get; init; } = true;

    /// <summary>Profiles stamped further in the future than this are rejected (Pyroscope: 10 minutes).</summary>
    public TimeSpan RejectNewerThan { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Profiles older than this are rejected; null accepts any age. Pyroscope rejects profiles older than 1 hour;
    /// this store indexes by data time, so backfilled profiles stay queryable and are accepted by default.
    /// </summary>
    public TimeSpan? RejectOlderThan { get; init; }
}
