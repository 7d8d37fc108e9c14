using Dapr.Profiler.Block;
using Dapr.Profiler.ObjectStorage;

namespace Dapr.Profiler.QueryBackend;

/// <summary>A thread-safe count of the bytes fetched from object storage by one invocation.</summary>
internal sealed class ByteCounter
{
    private long _bytes;

    public long Value => Interlocked.Read(ref _bytes);

    public void Add(long bytes) => Interlocked.Add(ref _bytes, bytes);
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
