using System.Globalization;
using Dapr.Profiler.Protos.Block;

namespace Dapr.Profiler.Block;

/// <summary>
/// Where blocks live in object storage; the one owner of the key layout (see README.md):
/// <c>segments/{shard}/anonymous/{id}/block.bin</c> for segments (level 0, all tenants of a shard) and
/// <c>blocks/{shard}/{tenant}/{id}/block.bin</c> for compacted blocks (level ≥ 1, one tenant).
/// </summary>
public static class BlockObjectKeys
{
    /// <summary>The tenant part of the key of multi-tenant segments (and of blocks without a tenant).</summary>
    public const string AnonymousTenant = "anonymous";

    /// <summary>The prefix of every segment object.</summary>
    public const string SegmentsPrefix = "segments/";

    /// <summary>The prefix of every compacted block object.</summary>
    public const string BlocksPrefix = "blocks/";

    /// <summary>The file name of a block object inside its id folder.</summary>
    public const string FileName = "block.bin";

    /// <summary>The key of a block, from its level, shard, tenant and id.</summary>
    public static string Of(BlockMeta meta)
    {
        ArgumentNullException.ThrowIfNull(meta);
        return meta.CompactionLevel == 0 ? Segment(meta.Shard, meta.Id) : Compacted(meta.Shard, meta.GetTenant(), meta.Id);
    }

    /// <summary><c>segments/{shard}/anonymous/{id}/block.bin</c>.</summary>
    public static string Segment(uint shard, string id) =>
        string.Create(CultureInfo.InvariantCulture, $"{SegmentsPrefix}{shard}/{AnonymousTenant}/{id}/{FileName}");

    /// <summary><c>blocks/{shard}/{tenant}/{id}/block.bin</c> (tenant <c>anonymous</c> when empty).</summary>
    public static string Compacted(uint shard, string tenant, string id) =>
        string.Create(CultureInfo.InvariantCulture, $"{BlocksPrefix}{shard}/{(tenant.Length == 0 ? AnonymousTenant : tenant)}/{id}/{FileName}");

    /// <summary>The block id of a key in either layout, or null when the key is not a block object.</summary>
    public static string? TryGetBlockId(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var parts = key.Split('/');
        if (parts.Length != 5 || parts[4] != FileName || (parts[0] + "/" is not (SegmentsPrefix or BlocksPrefix)))
        {
            return null;
        }

        return Ulid.TryParse(parts[3], out _) ? parts[3] : null;
    }
}
