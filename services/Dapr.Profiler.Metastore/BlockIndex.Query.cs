namespace Dapr.Profiler.Metastore;

/// <summary>The datasets of one block that a query selected, in dataset order.</summary>
internal sealed record BlockHit(IndexedBlock Block, List<DatasetInfo> Datasets);

/// <summary>What the index knows about one tenant.</summary>
internal readonly record struct TenantSummary(bool DataIngested, long OldestMs, long NewestMs);

internal sealed partial class BlockIndex
{
    /// <summary>
    /// The datasets of the tenants whose data time overlaps [<paramref name="start"/>, <paramref name="end"/>]
    /// (inclusive) and that pass <paramref name="filter"/>, grouped by block, blocks in id order, datasets in block
    /// order. Only the partitions the range touches and the tenants' wide lists are visited; the filter runs at most
    /// once per dataset.
    /// </summary>
    public List<BlockHit> FindDatasets(IEnumerable<string> tenants, long start, long end, Func<DatasetInfo, bool> filter)
    {
        ArgumentNullException.ThrowIfNull(tenants);
        ArgumentNullException.ThrowIfNull(filter);
        var result = new List<BlockHit>();
        if (start > end)
        {
            return result;
        }

        var tenantSet = new HashSet<string>(tenants, StringComparer.Ordinal);
        var byBlock = new Dictionary<IndexedBlock, BlockHit>(ReferenceEqualityComparer.Instance);

        // A dataset is filed under every partition it overlaps; it is taken only in the first partition the query
        // visits that holds it, so no dataset is seen twice (wide datasets are listed once per tenant anyway).
        void Visit(IndexEntry entry, long? partition)
        {
            foreach (var dataset in entry.Datasets)
            {
                if (dataset.Overlaps(Math.Max(start, RetentionEdge(dataset.Tenant)), end)
                    && (partition is not { } key || PartitionOf(Math.Max(dataset.MinTime, start)) == key)
                    && filter(dataset))
                {
                    if (!byBlock.TryGetValue(entry.Block, out var hit))
                    {
                        hit = new BlockHit(entry.Block, []);
                        byBlock.Add(entry.Block, hit);
                        result.Add(hit);
                    }

                    hit.Datasets.Add(dataset);
                }
            }
        }

        if (_partitionKeys.Count > 0)
        {
            var lo = PartitionOf(start);
            var hi = PartitionOf(end);
            if (lo <= _partitionKeys.Max && hi >= _partitionKeys.Min)
            {
                foreach (var key in _partitionKeys.GetViewBetween(Math.Max(lo, _partitionKeys.Min), Math.Min(hi, _partitionKeys.Max)))
                {
                    var partition = _partitions[key];
                    foreach (var tenant in tenantSet)
                    {
                        if (!partition.Tenants.TryGetValue(tenant, out var shards))
                        {
                            continue;
                        }

                        foreach (var entries in shards.Values)
                        {
                            foreach (var entry in entries.Values)
                            {
                                Visit(entry, key);
                            }
                        }
                    }
                }
            }
        }

        foreach (var tenant in tenantSet)
        {
            if (_wide.TryGetValue(tenant, out var entries))
            {
                foreach (var entry in entries.Values)
                {
                    Visit(entry, null);
                }
            }
        }

        result.Sort(static (a, b) => string.CompareOrdinal(a.Block.Id, b.Block.Id));
        foreach (var hit in result)
        {
            hit.Datasets.Sort(static (a, b) => a.Index.CompareTo(b.Index));
        }

        return result;
    }

    public TenantSummary GetTenantSummary(string tenant) =>
        _tenants.TryGetValue(tenant, out var stat) && stat.Datasets > 0
            ? new TenantSummary(true, Math.Max(stat.OldestMs, RetentionEdge(tenant)), stat.NewestMs)
            : new TenantSummary(false, 0, 0);

    /// <summary>The tenants with at least one dataset, sorted.</summary>
    public IReadOnlyList<string> Tenants
    {
        get
        {
            var tenants = _tenants.Where(t => t.Value.Datasets > 0).Select(t => t.Key).ToList();
            tenants.Sort(StringComparer.Ordinal);
            return tenants;
        }
    }
}
