using Dapr.Profiler.Protos.Block;

namespace Dapr.Profiler.Metastore;

/// <summary>
/// The block index, partitioned by <b>data time</b>: partition (fixed window of data time) → tenant → shard → block →
/// the block's datasets of that tenant overlapping the partition. A multi-tenant segment is filed under each of its
/// datasets' tenants. A dataset spanning more than <c>maxPartitionsPerDataset</c> partitions goes to a per-tenant
/// "wide" list instead, which every query of the tenant scans.
/// </summary>
/// <remarks>Not thread-safe: <see cref="MetastoreStateMachine"/> guards it with a reader/writer lock.</remarks>
internal sealed partial class BlockIndex
{
    private readonly long _partitionMs;
    private readonly int _maxPartitionsPerDataset;
    private readonly IndexStrings _strings = new();
    private readonly Dictionary<string, IndexedBlock> _blocks = new(StringComparer.Ordinal);
    private readonly Dictionary<long, Partition> _partitions = [];
    private readonly SortedSet<long> _partitionKeys = [];
    private readonly Dictionary<string, Dictionary<string, IndexEntry>> _wide = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TenantStat> _tenants = new(StringComparer.Ordinal);

    public BlockIndex(TimeSpan partitionDuration, int maxPartitionsPerDataset)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(partitionDuration, TimeSpan.FromMilliseconds(1));
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPartitionsPerDataset, 1);
        _partitionMs = (long)partitionDuration.TotalMilliseconds;
        _maxPartitionsPerDataset = maxPartitionsPerDataset;
    }

    public int Count => _blocks.Count;

    public int PartitionCount => _partitions.Count;

    public int WideDatasetCount { get; private set; }

    /// <summary>The metadata of every block, in no particular order (for snapshots).</summary>
    public IEnumerable<BlockMeta> Blocks => _blocks.Values.Select(b => b.Meta);

    public bool Contains(string blockId) => _blocks.ContainsKey(blockId);

    /// <summary>The start of the partition holding data time <paramref name="timeMs"/> (floor, also for negatives).</summary>
    public long PartitionOf(long timeMs)
    {
        var start = timeMs / _partitionMs * _partitionMs;
        if (start <= timeMs)
        {
            return start;
        }

        // The lowest partition is cut short at long.MinValue instead of underflowing.
        return start < long.MinValue + _partitionMs ? long.MinValue : start - _partitionMs;
    }

    /// <summary>The partitions [first, last] a dataset from <paramref name="minMs"/> to <paramref name="maxMs"/> falls in.</summary>
    private IEnumerable<long> PartitionsOf(long minMs, long maxMs)
    {
        var last = PartitionOf(maxMs);
        for (var p = PartitionOf(minMs); ; p = PartitionOf(p + _partitionMs))
        {
            yield return p;
            if (p >= last)
            {
                yield break;
            }
        }
    }

    /// <summary>Indexes a validated block; the index keeps the instance, which must not change afterwards.</summary>
    /// <returns>False when a block with the same id is already indexed (nothing changes).</returns>
    public bool Add(BlockMeta meta)
    {
        ArgumentNullException.ThrowIfNull(meta);
        if (_blocks.ContainsKey(meta.Id))
        {
            return false;
        }

        var block = IndexedBlock.Create(meta, _strings);
        _blocks.Add(block.Id, block);
        TrackLevel(meta);
        foreach (var dataset in block.Datasets)
        {
            if (IsWide(dataset))
            {
                GetEntry(GetOrAdd(_wide, dataset.Tenant), block).Datasets.Add(dataset);
                WideDatasetCount++;
            }
            else
            {
                foreach (var p in PartitionsOf(dataset.MinTime, dataset.MaxTime))
                {
                    GetEntry(GetShard(p, dataset.Tenant, meta.Shard), block).Datasets.Add(dataset);
                }
            }

            UpdateStats(dataset);
        }

        return true;
    }

    /// <summary>Removes a block from every partition (for compaction and retention commands).</summary>
    /// <returns>False when the block is not indexed.</returns>
    public bool Remove(string blockId)
    {
        if (!_blocks.Remove(blockId, out var block))
        {
            return false;
        }

        UntrackLevel(block.Meta);

        foreach (var dataset in block.Datasets)
        {
            RemoveStats(dataset);
            if (IsWide(dataset))
            {
                if (_wide.TryGetValue(dataset.Tenant, out var entries) && entries.Remove(blockId) && entries.Count == 0)
                {
                    _wide.Remove(dataset.Tenant);
                }

                WideDatasetCount--;
                continue;
            }

            foreach (var p in PartitionsOf(dataset.MinTime, dataset.MaxTime))
            {
                RemoveFromPartition(p, dataset.Tenant, block);
            }
        }

        return true;
    }

    private bool IsWide(DatasetInfo dataset)
    {
        // Unsigned: max >= min (validated), so the true difference always fits in 64 bits.
        var span = (ulong)PartitionOf(dataset.MaxTime) - (ulong)PartitionOf(dataset.MinTime);
        return span / (ulong)_partitionMs >= (ulong)_maxPartitionsPerDataset;
    }

    private Dictionary<string, IndexEntry> GetShard(long partitionKey, string tenant, uint shard)
    {
        if (!_partitions.TryGetValue(partitionKey, out var partition))
        {
            partition = new Partition();
            _partitions.Add(partitionKey, partition);
            _partitionKeys.Add(partitionKey);
        }

        var shards = GetOrAdd(partition.Tenants, tenant);
        if (!shards.TryGetValue(shard, out var entries))
        {
            entries = new Dictionary<string, IndexEntry>(StringComparer.Ordinal);
            shards.Add(shard, entries);
        }

        return entries;
    }

    private void RemoveFromPartition(long partitionKey, string tenant, IndexedBlock block)
    {
        if (!_partitions.TryGetValue(partitionKey, out var partition)
            || !partition.Tenants.TryGetValue(tenant, out var shards)
            || !shards.TryGetValue(block.Meta.Shard, out var entries)
            || !entries.Remove(block.Id))
        {
            return;
        }

        if (entries.Count == 0)
        {
            shards.Remove(block.Meta.Shard);
            if (shards.Count == 0)
            {
                partition.Tenants.Remove(tenant);
                if (partition.Tenants.Count == 0)
                {
                    _partitions.Remove(partitionKey);
                    _partitionKeys.Remove(partitionKey);
                }
            }
        }
    }

    private static IndexEntry GetEntry(Dictionary<string, IndexEntry> entries, IndexedBlock block)
    {
        if (!entries.TryGetValue(block.Id, out var entry))
        {
            entry = new IndexEntry(block);
            entries.Add(block.Id, entry);
        }

        return entry;
    }

    private static TValue GetOrAdd<TValue>(Dictionary<string, TValue> map, string key)
        where TValue : new()
    {
        if (!map.TryGetValue(key, out var value))
        {
            value = new TValue();
            map.Add(key, value);
        }

        return value;
    }

    private void UpdateStats(DatasetInfo dataset)
    {
        var stat = GetOrAdd(_tenants, dataset.Tenant);
        stat.Datasets++;
        Increment(stat.MinTimes, dataset.MinTime);
        Increment(stat.MaxTimes, dataset.MaxTime);
    }

    /// <summary>Takes a dataset out of its tenant's figures in O(log n) (no rescan of the index).</summary>
    private void RemoveStats(DatasetInfo dataset)
    {
        if (!_tenants.TryGetValue(dataset.Tenant, out var stat))
        {
            return;
        }

        stat.Datasets--;
        Decrement(stat.MinTimes, dataset.MinTime);
        Decrement(stat.MaxTimes, dataset.MaxTime);
        if (stat.Datasets <= 0)
        {
            _tenants.Remove(dataset.Tenant);
        }
    }

    private static void Increment(SortedDictionary<long, int> counts, long key) =>
        counts[key] = counts.TryGetValue(key, out var n) ? n + 1 : 1;

    private static void Decrement(SortedDictionary<long, int> counts, long key)
    {
        if (counts.TryGetValue(key, out var n))
        {
            if (n <= 1)
            {
                counts.Remove(key);
            }
            else
            {
                counts[key] = n - 1;
            }
        }
    }

    /// <summary>The blocks of one partition: tenant → shard → block id → entry.</summary>
    private sealed class Partition
    {
        public Dictionary<string, SortedDictionary<uint, Dictionary<string, IndexEntry>>> Tenants { get; } =
            new(StringComparer.Ordinal);
    }

    /// <summary>A block under one (partition, tenant, shard), with only that tenant's datasets in the partition.</summary>
    private sealed class IndexEntry(IndexedBlock block)
    {
        public IndexedBlock Block { get; } = block;

        public List<DatasetInfo> Datasets { get; } = [];
    }

    /// <summary>A tenant's datasets: their count and the multisets of their start and end times.</summary>
    private sealed class TenantStat
    {
        public long Datasets { get; set; }

        public SortedDictionary<long, int> MinTimes { get; } = [];

        /// <summary>Largest first, so the newest time is the first key (enumerating from the start is O(log n)).</summary>
        public SortedDictionary<long, int> MaxTimes { get; } = new(Comparer<long>.Create(static (a, b) => b.CompareTo(a)));

        public long OldestMs => MinTimes.Count == 0 ? long.MaxValue : MinTimes.First().Key;

        public long NewestMs => MaxTimes.Count == 0 ? long.MinValue : MaxTimes.First().Key;
    }
}
