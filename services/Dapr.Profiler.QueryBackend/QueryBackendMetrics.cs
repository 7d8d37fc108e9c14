namespace Dapr.Profiler.QueryBackend;

/// <summary>
/// Process-wide counters of the query-backend (a singleton registered by <see cref="QueryBackendRegistration.AddQueryBackend"/>),
/// read by the server's <c>/metrics</c> and the query bench.
/// </summary>
/// <remarks>
/// Blocks and bytes are counted where they are read, at READ nodes only, so a query's bytes are counted once
/// however deep its plan is (MERGE nodes only add up their children's statistics). A query is counted once, at the
/// root of its plan: the invocation that did not come from a MERGE node of this process.
/// </remarks>
public sealed class QueryBackendMetrics
{
    private long _queries;
    private long _blocks;
    private long _bytes;

    /// <summary>Plans executed (root invocations; the children a MERGE node invokes in this process are not counted).</summary>
    public long QueriesExecuted => Interlocked.Read(ref _queries);

    /// <summary>Blocks opened by READ nodes (objects that vanished after planning are not counted).</summary>
    public long BlocksRead => Interlocked.Read(ref _blocks);

    /// <summary>Bytes fetched from object storage by READ nodes (footers, datasets, or whole objects).</summary>
    public long BytesRead => Interlocked.Read(ref _bytes);

    internal void QueryStarted() => Interlocked.Increment(ref _queries);

    internal void Read(long blocks, long bytes)
    {
        Interlocked.Add(ref _blocks, blocks);
        Interlocked.Add(ref _bytes, bytes);
    }
}
