using System.ComponentModel.DataAnnotations;

namespace Dapr.Profiler.QueryBackend;

/// <summary>
/// Settings of the query-backend (configuration section <c>QueryBackend</c>). To add one: a property with its
/// default and range here, its trade-off in the doc comment, and its use in <see cref="QueryBackendService"/>.
/// </summary>
public sealed class QueryBackendOptions
{
    public const string SectionName = "QueryBackend";

    /// <summary>
    /// How many children of one MERGE node are invoked at once (default: 2 × processors). Under Dapr each child call
    /// goes to some query-backend replica, so a higher value spreads a large query over more replicas and lowers its
    /// latency, at the cost of more concurrent work (memory for the children's reports) per query; the plan's fan-in
    /// (about 20 children per MERGE node) is the useful upper bound. In one process it bounds how many READ nodes of
    /// one MERGE node run together.
    /// </summary>
    [Range(1, 1024)]
    public int MaxConcurrency { get; set; } = 2 * Environment.ProcessorCount;

    /// <summary>
    /// How many blocks are opened, then how many datasets are read and processed at once, inside one READ node
    /// (default: 2 × processors). Reading is I/O (object storage latency) and processing is CPU (decoding,
    /// building trees), so a value above the processor count hides storage latency; a higher value holds more
    /// datasets in memory at once.
    /// </summary>
    [Range(1, 1024)]
    public int ReadConcurrency { get; set; } = 2 * Environment.ProcessorCount;

    /// <summary>
    /// The size of the first range read of a block, which must hold its metadata footer (default 64 KiB). An object
    /// no larger than this is fetched whole by that one read, which is cheapest for small segments; a footer larger
    /// than this costs a second read. Smaller values fetch fewer bytes per block when only a few datasets of a large
    /// segment are read. Ignored when the store has no range reads (then every block is one whole-object GET).
    /// </summary>
    [Range(1024, 64 * 1024 * 1024)]
    public int FooterReadBytes { get; set; } = 64 * 1024;
}
