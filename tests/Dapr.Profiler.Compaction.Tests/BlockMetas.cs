using System.Buffers.Binary;
using Dapr.Profiler.Block;
using Dapr.Profiler.Protos.Block;

namespace Dapr.Profiler.Compaction.Tests;

/// <summary>Block metadata as the metastore lists it, built directly (the planner and job naming read nothing else).</summary>
internal static class BlockMetas
{
    /// <summary>A block whose id has the time <paramref name="created"/> and is unique per <paramref name="index"/>.</summary>
    public static BlockMeta Create(DateTimeOffset created, int index, uint shard, string tenant, uint level, long minTime, long maxTime)
    {
        // The first four bytes of randomness make ids unique; the rest varies with the index.
        var randomness = new byte[10];
        BinaryPrimitives.WriteInt32BigEndian(randomness, index);
        randomness[9] = (byte)(index * 37);
        var meta = new BlockMeta
        {
            FormatVersion = 1,
            Id = new Ulid(created.ToUnixTimeMilliseconds(), randomness).ToString(),
            Shard = shard,
            CompactionLevel = level,
            MinTime = minTime,
            MaxTime = maxTime,
        };
        meta.StringTable.Add(string.Empty);
        if (tenant.Length > 0)
        {
            meta.StringTable.Add(tenant);
            meta.Tenant = 1;
        }

        return meta;
    }
}
