using System.ComponentModel.DataAnnotations;
using Dapr.Profiler.Model;

namespace Dapr.Profiler.Distributor;

/// <summary>
/// Settings of the distributor, bound from the <c>Distributor</c> configuration section and validated at start.
/// Defaults are what a Pyroscope user expects unless a remark says otherwise.
/// </summary>
/// <remarks>
/// To add a setting: add a property with its default here (defaults live only in this class), give it a
/// <see cref="RangeAttribute"/> or another validation attribute, document its trade-off, and read it where it
/// applies (<see cref="IngestPipeline"/>, <see cref="ShardPlacement"/>, <see cref="IngestRateLimiter"/> or the APIs).
/// Rejections name the setting as <c>Distributor:&lt;Property&gt;</c>, so keep property names stable.
/// </remarks>
public sealed class DistributorOptions
{
    /// <summary>The configuration section the options are bound from.</summary>
    public const string SectionName = "Distributor";

    /// <summary>
    /// When false (the default, like Pyroscope), every profile belongs to the tenant <c>anonymous</c> and the
    /// <c>X-Scope-OrgID</c> header is ignored. When true the header is required (401 without it), so a reverse
    /// proxy that authenticates callers must set it.
    /// </summary>
    public bool MultitenancyEnabled { get; set; }

    /// <summary>
    /// The largest request body accepted, in bytes as received (default 64 MiB). The body is counted while it is
    /// read and the request fails with 413 as soon as it passes the limit, so memory per request stays bounded;
    /// a gzip <c>Content-Encoding</c> is decompressed to at most this size too. Raising it admits bigger batches
    /// at the price of memory per concurrent request.
    /// </summary>
    [Range(1024, int.MaxValue - 1)]
    public long MaxRequestBodyBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>
    /// The largest profile after gzip decompression, in bytes (default 16 MiB). This guards against gzip bombs:
    /// decompression stops as soon as the output passes it. Real profiles are rarely above a few MiB.
    /// </summary>
    [Range(1024, int.MaxValue - 1)]
    public long MaxDecompressedBytes { get; set; } = 16L * 1024 * 1024;

    /// <summary>
    /// Most requests whose bodies are being decompressed and decoded at once (default twice the processor count,
    /// at least 2); the others wait for a turn. Decoding is CPU-bound, so this costs no throughput, while it bounds
    /// the memory that expanding requests take together: without it, a burst of small gzip bombs or large
    /// profiles expands as many times over as there are connections.
    /// </summary>
    [Range(1, 1024)]
    public int MaxConcurrentDecodes { get; set; } = Math.Max(2, 2 * Environment.ProcessorCount);

    /// <summary>
    /// Most push requests (HTTP and events) one distributor works on at once, from the first body byte to the
    /// acknowledgement (default 2000, as Mimir's <c>max_inflight_push_requests</c>); more are refused with 429 at
    /// once. When pushes arrive faster than the server can store them, this turns an ever-growing queue (and
    /// memory) into back-pressure that Pyroscope clients and brokers already handle by retrying later.
    /// </summary>
    [Range(1, 1_000_000)]
    public int MaxInflightRequests { get; set; } = 2000;

    /// <summary>
    /// Most labels one series may carry, before the profile type labels are added (Pyroscope: 30). Each label
    /// multiplies index cardinality; raise it only for labels with few values.
    /// </summary>
    [Range(1, 1000)]
    public int MaxLabelNamesPerSeries { get; set; } = NormalizationOptions.Default.MaxLabelNamesPerSeries;

    /// <summary>Longest label name in bytes (Pyroscope: 1024).</summary>
    [Range(1, 65536)]
    public int MaxLabelNameLength { get; set; } = NormalizationOptions.Default.MaxLabelNameLength;

    /// <summary>Longest label value in bytes (Pyroscope: 2048). Long values are usually ids that explode cardinality.</summary>
    [Range(1, 65536)]
    public int MaxLabelValueLength { get; set; } = NormalizationOptions.Default.MaxLabelValueLength;

    /// <summary>
    /// Most samples one profile may have (Pyroscope: 16000); bigger profiles are rejected whole. The cost of
    /// storing and merging a profile grows with its samples.
    /// </summary>
    [Range(1, 10_000_000)]
    public int MaxSamplesPerProfile { get; set; } = NormalizationOptions.Default.MaxSamplesPerProfile;

    /// <summary>
    /// Deepest stack kept, counted in frames after inline expansion (each line of a location is one frame; Pyroscope:
    /// 1000). Deeper stacks keep their root-side frames and end in one frame named <c>other</c>, as in Pyroscope, so
    /// a flame graph keeps its shape; a query's cost per sample grows with this depth.
    /// </summary>
    [Range(1, 100_000)]
    public int MaxStackDepth { get; set; } = NormalizationOptions.Default.MaxStackDepth;

    /// <summary>
    /// Most lines (inlined frames) one location may have (default 512); a profile with a longer location is rejected.
    /// Real inlining chains are a few dozen lines deep; the limit stops one location id from standing for a huge stack.
    /// </summary>
    [Range(1, 100_000)]
    public int MaxLinesPerLocation { get; set; } = NormalizationOptions.Default.MaxLinesPerLocation;

    /// <summary>
    /// Most frames one profile may have: the depth of every sample after truncation to <see cref="MaxStackDepth"/>,
    /// summed over its samples (default 4,000,000); more is rejected. Pyroscope has no such limit; it bounds what one
    /// profile can cost every query that merges it, whatever its size on the wire.
    /// </summary>
    [Range(1, int.MaxValue)]
    public int MaxFramesPerProfile { get; set; } = NormalizationOptions.Default.MaxFramesPerProfile;

    /// <summary>
    /// Most series one profile may split into through its sample labels (pprof labels such as a request path;
    /// default 1000). More is rejected as a cardinality explosion; raising it lets high-cardinality pprof labels
    /// into the index, which slows every query of the tenant.
    /// </summary>
    [Range(1, 100_000)]
    public int MaxSeriesPerProfile { get; set; } = NormalizationOptions.Default.MaxSeriesPerProfile;

    /// <summary>
    /// The sustained ingestion rate per tenant, in received bytes per second (default 8 MiB/s); 0 disables rate
    /// limiting. Requests over it get 429 and Pyroscope clients drop that upload, so set it above the steady
    /// rate of the busiest tenant. With the <see cref="IngestionRateStrategy.Global"/> strategy (the default) it is
    /// the rate of the whole cluster, shared among the live distributors.
    /// </summary>
    [Range(0, long.MaxValue)]
    public long IngestionRateBytesPerSecond { get; set; } = 8L * 1024 * 1024;

    /// <summary>
    /// The burst size of the per-tenant token bucket, in bytes (default 16 MiB). A request is admitted while the
    /// bucket holds at least its size (or is full, for requests larger than the burst); the bucket may then go into
    /// debt, which later requests repay. A larger burst absorbs flush spikes of many clients at once.
    /// </summary>
    [Range(1, long.MaxValue)]
    public long IngestionBurstBytes { get; set; } = 16L * 1024 * 1024;

    /// <summary>
    /// How <see cref="IngestionRateBytesPerSecond"/> applies when several distributors run (Pyroscope's and Mimir's
    /// <c>ingestion_rate_strategy</c>). <see cref="IngestionRateStrategy.Global"/> (the default): each distributor
    /// admits the rate divided by the number of live distributors, which announce themselves to the
    /// <c>DistributorRing</c> actor, so the limit holds for the cluster; the burst stays per distributor.
    /// <see cref="IngestionRateStrategy.Local"/>: every distributor admits the whole rate.
    /// </summary>
    public IngestionRateStrategy IngestionRateStrategy { get; set; } = IngestionRateStrategy.Global;

    /// <summary>
    /// How often a distributor announces itself to the ring (default 5 s). A distributor that has not announced
    /// itself for three intervals no longer counts as live, so after a distributor stops the others take over its
    /// share of the rate within that time.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:10:00")]
    public TimeSpan RingHeartbeatInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The number of segment-writer shards (default 4, Pyroscope's token count per writer). Changing it moves
    /// most series to other shards (jump consistent hash moves only the minimum), which is harmless for queries
    /// but makes new segments start on the new shards.
    /// </summary>
    [Range(1, 65_535)]
    public int NumShards { get; set; } = 4;

    /// <summary>
    /// How many consecutive shards one tenant may use (default 0 = all of <see cref="NumShards"/>; larger values
    /// are clamped to it). Fewer shards per tenant isolate tenants from each other at the price of spreading a
    /// big tenant's load over fewer writers.
    /// </summary>
    [Range(0, 65_535)]
    public int TenantShards { get; set; }

    /// <summary>
    /// How many shards of the tenant's range one service (dataset) is spread over, by series fingerprint
    /// (default 1, Pyroscope's default: one service, one shard, the best locality for compaction and queries).
    /// Clamped to the tenant's range. Raise it for services whose ingestion alone saturates one writer.
    /// </summary>
    [Range(1, 65_535)]
    public int DatasetShards { get; set; } = 1;

    /// <summary>The configuration key of a property, as rejection messages name it.</summary>
    public static string Key(string propertyName) => SectionName + ":" + propertyName;

    internal PprofDecoderOptions ToDecoderOptions() => new() { MaxDecompressedBytes = MaxDecompressedBytes };

    internal NormalizationOptions ToNormalizationOptions() => new()
    {
        MaxLabelNamesPerSeries = MaxLabelNamesPerSeries,
        MaxLabelNameLength = MaxLabelNameLength,
        MaxLabelValueLength = MaxLabelValueLength,
        MaxSamplesPerProfile = MaxSamplesPerProfile,
        MaxSeriesPerProfile = MaxSeriesPerProfile,
        MaxStackDepth = MaxStackDepth,
        MaxLinesPerLocation = MaxLinesPerLocation,
        MaxFramesPerProfile = MaxFramesPerProfile,
    };
}

/// <summary>How a per-tenant ingestion rate applies across distributors.</summary>
public enum IngestionRateStrategy
{
    /// <summary>The rate is the cluster's: each live distributor admits its share.</summary>
    Global,

    /// <summary>The rate is each distributor's.</summary>
    Local,
}
