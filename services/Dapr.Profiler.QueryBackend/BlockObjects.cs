using Dapr.Profiler.Block;
using Dapr.Profiler.ObjectStorage;

namespace Dapr.Profiler.QueryBackend;

/// <summary>A thread-safe count of the bytes fetched from object storage by one invocation, charged to its budget.</summary>
internal sealed class ByteCounter(QueryBudgetTracker budget)
{
    private long _bytes;

    public long Value => Interlocked.Read(ref _bytes);

    /// <exception cref="Mesh.ServiceException">RESOURCE_EXHAUSTED: the query's bytes budget is spent.</exception>
    public void Add(long bytes)
    {
        Interlocked.Add(ref _bytes, bytes);
        budget.AddBytes(bytes);
    }
}

/// <summary>Range reads of one object through <see cref="IObjectStore.GetRangeAsync"/>, counting the bytes returned.</summary>
internal sealed class CountingRangeReader(IObjectStore store, string key, ByteCounter counter) : IBlockRangeReader
{
    public async ValueTask<ReadOnlyMemory<byte>> ReadRangeAsync(long offset, int length, CancellationToken cancellationToken)
    {
        var bytes = await store.GetRangeAsync(key, offset, length, cancellationToken);
        counter.Add(bytes.Length);
        return bytes;
    }
}
