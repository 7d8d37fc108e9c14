using System.ComponentModel.DataAnnotations;

namespace Dapr.Profiler.QueryFrontend;

/// <summary>
/// Settings of the query-frontend, bound from the <c>QueryFrontend</c> configuration section and validated at start.
/// Defaults are what a Pyroscope user expects unless a remark says otherwise.
/// </summary>
/// <remarks>
/// To add a setting: add a property with its default here (defaults live only in this class), give it a
/// <see cref="RangeAttribute"/> or another validation attribute, document its trade-off, and read it where it
/// applies (<see cref="QuerierService"/>, the planner or the APIs). Error messages name a setting as
/// <c>QueryFrontend:&lt;Property&gt;</c>, so keep property names stable.
/// </remarks>
public sealed class QueryFrontendOptions
{
    /// <summary>The configuration section the options are bound from.</summary>
    public const string SectionName = "QueryFrontend";

    /// <summary>The largest <c>max_nodes</c> a flame graph query may ask for (Pyroscope's <c>max-flamegraph-nodes-max</c>).</summary>
    public const long MaxNodesLimit = 1L << 20;

    /// <summary>
    /// When false (the default, like Pyroscope), every query reads the tenant <c>anonymous</c> and the
    /// <c>X-Scope-OrgID</c> header is ignored. When true the header is required (401 without it) and a query sees
    /// only that tenant's data, so a reverse proxy that authenticates callers must set it.
    /// </summary>
    public bool MultitenancyEnabled { get; set; }

    /// <summary>
    /// Most blocks one READ node of a plan reads (Pyroscope: 4, hard-coded). Fewer blocks per leaf spread a query
    /// over more backend calls (more parallelism, more merge work); more blocks make fewer, longer reads.
    /// </summary>
    [Range(1, 1024)]
    public int MaxReadsPerLeaf { get; set; } = 4;

    /// <summary>
    /// Most children one MERGE node of a plan merges (Pyroscope: 20, hard-coded). A smaller fan-in makes the plan
    /// deeper (more hops, smaller merges); a larger one makes single merges bigger.
    /// </summary>
    [Range(2, 1024)]
    public int MaxMergeFanIn { get; set; } = 20;

    /// <summary>
    /// Flame graph nodes kept when a request gives no <c>max_nodes</c> or 0 (Pyroscope: 8192). Smaller flame graphs
    /// are cheaper to transfer and draw; the rest is folded into "other" nodes.
    /// </summary>
    [Range(1, MaxNodesLimit)]
    public long DefaultMaxNodes { get; set; } = 8192;

    /// <summary>
    /// The longest time range one query may cover; longer queries are refused with <c>invalid_argument</c>.
    /// Default zero: no limit (Pyroscope's default is 24 h). A limit bounds how many blocks a single query reads.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "3650.00:00:00")]
    public TimeSpan MaxQueryLength { get; set; } = TimeSpan.Zero;

    /// <summary>
    /// How far back queries may read; the start of an older range is moved up to now minus this, and a range that
    /// ends before it answers empty. Default zero: no limit (Pyroscope's default is 7 days).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "3650.00:00:00")]
    public TimeSpan MaxQueryLookback { get; set; } = TimeSpan.Zero;

    /// <summary>
    /// The longest a query may run, metastore and backend included, before it fails with <c>deadline_exceeded</c>
    /// (default 2 minutes; zero = no limit). A shorter <c>Connect-Timeout-Ms</c> from the client wins.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan QueryTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// The largest query request body accepted, in bytes, before and after gzip decompression (default 4 MiB).
    /// Query requests are small; the limit stops a client from making the server buffer large bodies.
    /// </summary>
    [Range(1024, 256L * 1024 * 1024)]
    public long MaxRequestBodyBytes { get; set; } = 4L * 1024 * 1024;

    /// <summary>
    /// Most label matchers one request may carry over all its selectors (for example the repeated <c>matchers</c> of
    /// Series; default 64; zero = no limit). More answer <c>invalid_argument</c> at once, before any work: every
    /// matcher is evaluated against every series a query touches, so thousands of them make one request expensive.
    /// </summary>
    [Range(0, 1_000_000)]
    public int MaxMatchersPerQuery { get; set; } = 64;

    /// <summary>
    /// The longest label selector accepted, in UTF-8 bytes (default 16 KiB; zero = no limit). Longer ones answer
    /// <c>invalid_argument</c> before they are parsed.
    /// </summary>
    [Range(0, 16 * 1024 * 1024)]
    public int MaxSelectorLength { get; set; } = 16 * 1024;

    /// <summary>
    /// Most series one query may touch, summed over every dataset it reads (default 100,000; zero = no limit). A
    /// query that needs more fails with <c>resource_exhausted</c> (429): narrow the selector or the time range.
    /// </summary>
    [Range(0, long.MaxValue)]
    public long MaxQuerySeries { get; set; } = 100_000;

    /// <summary>
    /// Most bytes one query may read from object storage (default 2 GiB; zero = no limit). The query-backend stops
    /// reading when the budget is spent and the query fails with <c>resource_exhausted</c> (429).
    /// </summary>
    [Range(0, long.MaxValue)]
    public long MaxQueryBytesRead { get; set; } = 2L * 1024 * 1024 * 1024;

    /// <summary>
    /// Most call-tree nodes one query may build while aggregating, before <c>max_nodes</c> truncation, summed over the
    /// read stages (default 4,000,000; zero = no limit). Bounds the memory of flame graph queries over many distinct
    /// stacks; a query over the limit fails with <c>resource_exhausted</c> (429).
    /// </summary>
    [Range(0, long.MaxValue)]
    public long MaxQueryTreeNodes { get; set; } = 4_000_000;

    /// <summary>
    /// Most queries one tenant may run at once on this query-frontend (default 32; zero = no limit). One more
    /// answers <c>resource_exhausted</c> (429) at once instead of queueing; other tenants are not affected.
    /// </summary>
    [Range(0, 100_000)]
    public int MaxConcurrentQueriesPerTenant { get; set; } = 32;

    /// <summary>The configuration key of a property, as error messages name it.</summary>
    public static string Key(string propertyName) => SectionName + ":" + propertyName;
}
