using System.Globalization;
using Dapr.Profiler.Block;
using Dapr.Profiler.ObjectStorage;
using Dapr.Profiler.Protos.Block;

namespace Dapr.Profiler.QueryBackend;

/// <summary>Where a block lives in object storage (see services/Dapr.Profiler.Block/README.md).</summary>
public static class BlockObjectKey
{
    /// <summary>The tenant segment of the key of multi-tenant segments.</summary>
    public const string AnonymousTenant = "anonymous";

    /// <summary>
    /// <c>segments/{shard}/anonymous/{id}/block.bin</c> for segments (level 0),
    /// <c>blocks/{shard}/{tenant}/{id}/block.bin</c> for compacted blocks.
    /// </summary>
    public static string Of(BlockMeta meta)
    {
        ArgumentNullException.ThrowIfNull(meta);
        if (meta.CompactionLevel == 0)
        {
            return string.Create(CultureInfo.InvariantCulture, $"segments/{meta.Shard}/{AnonymousTenant}/{meta.Id}/block.bin");
        }

        var tenant = meta.GetTenant();
        return string.Create(
            CultureInfo.InvariantCulture,
            $"blocks/{meta.Shard}/{(tenant.Length == 0 ? AnonymousTenant : tenant)}/{meta.Id}/block.bin");
    }
}

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
