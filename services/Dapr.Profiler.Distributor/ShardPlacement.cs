using Dapr.Profiler.Model;
using Microsoft.Extensions.Options;

namespace Dapr.Profiler.Distributor;

/// <summary>
/// Jump consistent hash (Lamping and Veach, "A Fast, Minimal Memory, Consistent Hash Algorithm", 2014): maps a
/// 64-bit key to one of <c>n</c> buckets so that growing <c>n</c> to <c>n + 1</c> moves only 1/(n + 1) of the keys.
/// </summary>
public static class JumpHash
{
    /// <summary>The bucket of <paramref name="key"/> in <c>[0, buckets)</c>.</summary>
    public static int Bucket(ulong key, int buckets)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(buckets, 1);
        long b = -1;
        long j = 0;
        while (j < buckets)
        {
            b = j;
            key = unchecked((key * 2862933555777941757UL) + 1);
            j = (long)((b + 1) * ((double)(1L << 31) / ((key >> 33) + 1)));
        }

        return (int)b;
    }
}

/// <summary>
/// Picks the segment-writer shard of a series as Pyroscope's distributor does, with a static shard count:
/// the tenant gets a contiguous, wrapping range of <see cref="DistributorOptions.TenantShards"/> shards starting at
/// <c>jump(xxhash64(tenant), N)</c>; the service (dataset) gets <see cref="DistributorOptions.DatasetShards"/>
/// shards of that range starting at <c>jump(xxhash64(service), m)</c>; the series takes
/// <c>fingerprint mod n</c> of those. The same tenant, service and labels always land on the same shard.
/// </summary>
public sealed class ShardPlacement
{
    private readonly int _numShards;
    private readonly int _tenantShards;
    private readonly int _datasetShards;

    public ShardPlacement(IOptions<DistributorOptions> options)
        : this(Guard(options).NumShards, options.Value.TenantShards, options.Value.DatasetShards)
    {
    }

    public ShardPlacement(int numShards, int tenantShards, int datasetShards)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(numShards, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(tenantShards);
        _numShards = numShards;
        _tenantShards = tenantShards == 0 ? numShards : Math.Min(tenantShards, numShards);
        _datasetShards = Math.Min(_tenantShards, Math.Max(1, datasetShards));
    }

    /// <summary>
    /// The shard id to send to the segment-writer: the absolute shard index + 1, in <c>[1, NumShards]</c>
    /// (0 is the "no shard" sentinel of the protocol and is never returned).
    /// </summary>
    public uint Shard(string tenant, string serviceName, ulong fingerprint)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        ArgumentNullException.ThrowIfNull(serviceName);
        var tenantStart = JumpHash.Bucket(XxHash64.Hash(tenant), _numShards);
        var datasetOffset = JumpHash.Bucket(XxHash64.Hash(serviceName), _tenantShards);
        var shardOffset = (int)(fingerprint % (ulong)_datasetShards);
        var withinTenant = (datasetOffset + shardOffset) % _tenantShards;
        var absolute = (tenantStart + withinTenant) % _numShards;
        return (uint)absolute + 1;
    }

    private static DistributorOptions Guard(IOptions<DistributorOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Value;
    }
}
