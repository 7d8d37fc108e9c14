using System.Globalization;
using Dapr.Profiler.Block;
using Dapr.Profiler.Model;
using Dapr.Profiler.Protos.Block;
using Dapr.Profiler.Protos.Metastore;

namespace Dapr.Profiler.Server.FunctionalTests.Support;

/// <summary>One profile row as stored in an object: a series of a dataset at a time.</summary>
public sealed record StoredRow(string BlockId, string Tenant, string Service, string ProfileType, long TimestampNanos);

/// <summary>Reads the objects the server wrote to <c>{data-dir}/bucket</c>, independently of the server.</summary>
public static class Bucket
{
    /// <summary>
    /// Where a block is stored: <c>segments/{shard}/anonymous/{id}/block.bin</c> for segments (level 0) and
    /// <c>blocks/{shard}/{tenant}/{id}/block.bin</c> for compacted blocks.
    /// </summary>
    public static string ObjectPath(string dataDirectory, BlockMeta block)
    {
        ArgumentNullException.ThrowIfNull(block);
        var shard = block.Shard.ToString(CultureInfo.InvariantCulture);
        if (block.CompactionLevel == 0)
        {
            return Path.Combine(dataDirectory, "bucket", "segments", shard, "anonymous", block.Id, "block.bin");
        }

        var tenant = block.GetTenant();
        return Path.Combine(dataDirectory, "bucket", "blocks", shard, tenant.Length == 0 ? "anonymous" : tenant, block.Id, "block.bin");
    }

    /// <summary>Every segment object in the bucket.</summary>
    public static IReadOnlyList<string> SegmentObjects(string dataDirectory)
    {
        var root = Path.Combine(dataDirectory, "bucket", "segments");
        return Directory.Exists(root)
            ? Directory.GetFiles(root, "block.bin", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToArray()
            : [];
    }

    /// <summary>Opens a block's object; fails the test when it is missing.</summary>
    public static BlockReader Open(string dataDirectory, BlockMeta block)
    {
        var path = ObjectPath(dataDirectory, block);
        Assert.True(File.Exists(path), $"block {block.Id} is in the index but its object {path} is missing");
        return BlockReader.Open(File.ReadAllBytes(path));
    }

    /// <summary>The datasets of the given blocks (read from their objects) for a tenant and optionally a service.</summary>
    public static IEnumerable<(BlockReader Block, DatasetReader Dataset)> Datasets(
        string dataDirectory, QueryMetadataResponse index, string tenant, string? service = null)
    {
        ArgumentNullException.ThrowIfNull(index);
        foreach (var meta in index.Blocks)
        {
            var reader = Open(dataDirectory, meta);
            foreach (var dataset in reader.Meta.FindDatasets(tenant, service))
            {
                yield return (reader, reader.OpenDataset(dataset));
            }
        }
    }

    /// <summary>Every stored profile row of the given blocks for a tenant (and service).</summary>
    public static IReadOnlyList<StoredRow> Rows(string dataDirectory, QueryMetadataResponse index, string tenant, string? service = null)
    {
        var rows = new List<StoredRow>();
        foreach (var (block, dataset) in Datasets(dataDirectory, index, tenant, service))
        {
            foreach (var row in dataset.Rows())
            {
                var series = dataset.Series[row.SeriesIndex];
                rows.Add(new StoredRow(block.Meta.Id, dataset.Tenant, dataset.ServiceName, series.Type.Id, row.TimestampNanos));
            }
        }

        return rows;
    }

    /// <summary>The total of one profile type of a service over the given blocks (the flame graph's root).</summary>
    public static long Total(string dataDirectory, QueryMetadataResponse index, string tenant, string service, string profileType)
    {
        long total = 0;
        foreach (var (_, dataset) in Datasets(dataDirectory, index, tenant, service))
        {
            total += dataset.BuildTree(labels => labels.Get(LabelNames.ProfileType) == profileType).Total;
        }

        return total;
    }

    /// <summary>Sum of <c>profile_count</c> of the index's datasets of a tenant (and service), as the index reports it.</summary>
    public static long IndexedProfileCount(QueryMetadataResponse index, string tenant, string? service = null)
    {
        ArgumentNullException.ThrowIfNull(index);
        return index.Blocks.Sum(b => b.FindDatasets(tenant, service).Sum(d => (long)d.ProfileCount));
    }
}
