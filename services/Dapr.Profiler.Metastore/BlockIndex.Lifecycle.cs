using Dapr.Profiler.Block;
using Dapr.Profiler.Protos.Block;
using Dapr.Profiler.Protos.Metastore;

namespace Dapr.Profiler.Metastore;

/// <summary>
/// The index's life-cycle state beside the blocks: tombstones (objects that left the index and wait for deletion),
/// retention edges (per tenant, the data time before which everything was dropped) and compaction job leases
/// (job → fencing token). All of it is part of the replicated state and of snapshots.
/// </summary>
internal sealed partial class BlockIndex
{
    private readonly SortedDictionary<string, Tombstone> _tombstones = new(StringComparer.Ordinal);
    private readonly HashSet<string> _tombstonedIds = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _retentionEdges = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ulong> _jobLeases = new(StringComparer.Ordinal);
    private readonly Dictionary<uint, SortedDictionary<uint, SortedSet<string>>> _byShardLevel = [];

    public int TombstoneCount => _tombstones.Count;

    public bool IsTombstoned(string blockId) => _tombstonedIds.Contains(blockId);

    /// <summary>The data time (Unix ms) before which retention dropped the tenant's data; long.MinValue when none.</summary>
    public long RetentionEdge(string tenant) => _retentionEdges.TryGetValue(tenant, out var edge) ? edge : long.MinValue;

    /// <summary>Whether every dataset of the block lies before its tenant's retention edge.</summary>
    public bool IsExpired(BlockMeta meta)
    {
        if (meta.Datasets.Count == 0)
        {
            return false;
        }

        foreach (var dataset in meta.Datasets)
        {
            if (dataset.MaxTime >= RetentionEdge(meta.GetTenant(dataset)))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The blocks of a shard below a level, oldest id first.</summary>
    public List<BlockMeta> Compactable(uint shard, uint belowLevel)
    {
        var result = new List<BlockMeta>();
        if (_byShardLevel.TryGetValue(shard, out var levels))
        {
            foreach (var (level, ids) in levels)
            {
                if (level >= belowLevel)
                {
                    break;
                }

                result.AddRange(ids.Select(id => _blocks[id].Meta));
            }
        }

        return result;
    }

    /// <summary>Blocks and bytes per compaction level.</summary>
    public SortedDictionary<uint, (long Blocks, long Bytes)> LevelStats()
    {
        var stats = new SortedDictionary<uint, (long Blocks, long Bytes)>();
        foreach (var levels in _byShardLevel.Values)
        {
            foreach (var (level, ids) in levels)
            {
                stats.TryGetValue(level, out var current);
                long bytes = 0;
                foreach (var id in ids)
                {
                    bytes += (long)_blocks[id].Meta.Size;
                }

                stats[level] = (current.Blocks + ids.Count, current.Bytes + bytes);
            }
        }

        return stats;
    }

    /// <summary>Tombstones created at or before <paramref name="createdBefore"/>, oldest first, at most <paramref name="limit"/>.</summary>
    public List<Tombstone> TombstonesBefore(long createdBefore, int limit) =>
        [.. _tombstones.Values.Where(t => t.CreatedAt <= createdBefore).OrderBy(t => t.CreatedAt).ThenBy(t => t.ObjectKey, StringComparer.Ordinal).Take(limit)];

    public SnapshotExtra CaptureExtra()
    {
        var extra = new SnapshotExtra();
        extra.Tombstones.AddRange(_tombstones.Values);
        extra.RetentionEdges.Add(_retentionEdges);
        extra.JobLeases.Add(_jobLeases);
        return extra;
    }

    public void RestoreExtra(SnapshotExtra extra)
    {
        ArgumentNullException.ThrowIfNull(extra);
        foreach (var tombstone in extra.Tombstones)
        {
            AddTombstone(tombstone);
        }

        foreach (var (tenant, edge) in extra.RetentionEdges)
        {
            _retentionEdges[tenant] = edge;
        }

        foreach (var (job, token) in extra.JobLeases)
        {
            _jobLeases[job] = token;
        }
    }

    /// <summary>
    /// Records the lease of a job when every source is indexed; the token fences every earlier lease. Returns whether
    /// the sources are present, and the retention edges of their tenants.
    /// </summary>
    public (bool Present, Dictionary<string, long> Edges) LeaseJob(string job, ulong token, IReadOnlyCollection<string> sources)
    {
        var edges = new Dictionary<string, long>(StringComparer.Ordinal);
        if (!sources.All(_blocks.ContainsKey))
        {
            _jobLeases.Remove(job);
            return (false, edges);
        }

        _jobLeases[job] = token;
        foreach (var dataset in sources.SelectMany(id => _blocks[id].Datasets))
        {
            if (_retentionEdges.TryGetValue(dataset.Tenant, out var edge))
            {
                edges[dataset.Tenant] = edge;
            }
        }

        return (true, edges);
    }

    /// <summary>
    /// Commits a compaction job: with the current lease's token and every source indexed, the sources leave the index
    /// (tombstoned at <paramref name="now"/>) and the outputs enter it, in one step. A stale token changes nothing.
    /// Without a lease (already committed) or with a source gone (retention), nothing is indexed and outputs that are
    /// not indexed are tombstoned, so compaction can never bring back data that retention dropped.
    /// </summary>
    public (ReplaceBlocksOutcome Outcome, string Reason) ReplaceBlocks(ReplaceBlocksRequest request, long now)
    {
        if (!_jobLeases.TryGetValue(request.Job, out var token))
        {
            TombstoneOrphans(request.Outputs, now);
            return (ReplaceBlocksOutcome.NoOp, $"job {request.Job} holds no lease (committed already or never leased)");
        }

        if (token != request.Token)
        {
            return (ReplaceBlocksOutcome.StaleToken, $"job {request.Job} is leased with token {token}, not {request.Token}");
        }

        _jobLeases.Remove(request.Job);
        var missing = request.SourceBlockIds.FirstOrDefault(id => !_blocks.ContainsKey(id));
        if (missing is not null)
        {
            TombstoneOrphans(request.Outputs, now);
            return (ReplaceBlocksOutcome.NoOp, $"source block {missing} is no longer indexed");
        }

        // An output whose object is already condemned (tombstoned as an orphan) must not replace its sources.
        var condemned = request.Outputs.FirstOrDefault(o => IsTombstoned(o.Id));
        if (condemned is not null)
        {
            TombstoneOrphans(request.Outputs, now);
            return (ReplaceBlocksOutcome.NoOp, $"output block {condemned.Id} is tombstoned");
        }

        foreach (var id in request.SourceBlockIds)
        {
            var meta = _blocks[id].Meta;
            Remove(id);
            AddTombstone(meta, now);
        }

        foreach (var output in request.Outputs)
        {
            if (_blocks.ContainsKey(output.Id))
            {
                continue;
            }

            if (IsExpired(output))
            {
                AddTombstone(output, now);
                continue;
            }

            Add(output);
        }

        return (ReplaceBlocksOutcome.Applied, string.Empty);
    }

    /// <summary>
    /// Retention: moves each tenant's edge to the start of the partition holding <c>now − retention</c> and removes
    /// (tombstones) every block whose datasets all end before their tenant's edge. Edges never move back.
    /// </summary>
    public int Truncate(TruncateRequest request, long now)
    {
        foreach (var tenant in _tenants.Keys.ToList())
        {
            var retention = request.TenantRetentionMs.TryGetValue(tenant, out var custom) ? custom : request.DefaultRetentionMs;
            if (retention <= 0)
            {
                continue;
            }

            var edge = PartitionOf(now > long.MinValue + retention ? now - retention : long.MinValue);
            if (edge > RetentionEdge(tenant))
            {
                _retentionEdges[tenant] = edge;
            }
        }

        var expired = _blocks.Values.Where(b => IsExpired(b.Meta)).Select(b => b.Meta).ToList();
        foreach (var meta in expired)
        {
            Remove(meta.Id);
            AddTombstone(meta, now);
        }

        return expired.Count;
    }

    public void DeleteTombstones(IEnumerable<string> objectKeys)
    {
        foreach (var key in objectKeys)
        {
            if (_tombstones.Remove(key, out var tombstone))
            {
                _tombstonedIds.Remove(tombstone.BlockId);
            }
        }
    }

    private void TombstoneOrphans(IEnumerable<BlockMeta> outputs, long now)
    {
        foreach (var output in outputs)
        {
            if (!_blocks.ContainsKey(output.Id))
            {
                AddTombstone(output, now);
            }
        }
    }

    /// <summary>Tombstones a block's object (idempotent: the first tombstone of a key keeps its time).</summary>
    public void AddTombstone(BlockMeta meta, long now) => AddTombstone(new Tombstone
    {
        ObjectKey = BlockObjectKeys.Of(meta),
        BlockId = meta.Id,
        CreatedAt = now,
        CompactionLevel = meta.CompactionLevel,
        Size = meta.Size,
    });

    private void AddTombstone(Tombstone tombstone)
    {
        if (_tombstones.TryAdd(tombstone.ObjectKey, tombstone))
        {
            _tombstonedIds.Add(tombstone.BlockId);
        }
    }

    private void TrackLevel(BlockMeta meta)
    {
        if (!_byShardLevel.TryGetValue(meta.Shard, out var levels))
        {
            levels = [];
            _byShardLevel.Add(meta.Shard, levels);
        }

        if (!levels.TryGetValue(meta.CompactionLevel, out var ids))
        {
            ids = new SortedSet<string>(StringComparer.Ordinal);
            levels.Add(meta.CompactionLevel, ids);
        }

        ids.Add(meta.Id);
    }

    private void UntrackLevel(BlockMeta meta)
    {
        if (_byShardLevel.TryGetValue(meta.Shard, out var levels) && levels.TryGetValue(meta.CompactionLevel, out var ids))
        {
            ids.Remove(meta.Id);
            if (ids.Count == 0)
            {
                levels.Remove(meta.CompactionLevel);
                if (levels.Count == 0)
                {
                    _byShardLevel.Remove(meta.Shard);
                }
            }
        }
    }
}
