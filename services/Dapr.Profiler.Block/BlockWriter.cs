using Dapr.Profiler.Model;
using Dapr.Profiler.Protos.Block;
using Google.Protobuf;

namespace Dapr.Profiler.Block;

/// <summary>
/// Writes one block object: datasets of (tenant, service) with their series, profile rows and symbols, then the
/// metadata footer. Used by the segment-writer (many tenants, level 0) and by compaction (one tenant, copying
/// datasets from source blocks with <see cref="AddDataset"/>). Not thread-safe.
/// </summary>
public sealed class BlockWriter
{
    private readonly Dictionary<(string Tenant, string Service), DatasetBuilder> _datasets = [];
    private readonly BlockWriterOptions _options;

    public BlockWriter(BlockWriterOptions? options = null)
    {
        _options = options ?? BlockWriterOptions.Default;
    }

    public int DatasetCount => _datasets.Count;

    /// <summary>Profile rows added so far (one per series and profile).</summary>
    public long ProfileCount { get; private set; }

    public bool IsEmpty => ProfileCount == 0;

    /// <summary>
    /// Adds one series of a profile to the dataset (tenant, service name of the series). Series of the same
    /// <see cref="ProfileSeries.Profile"/> instance share its symbols, which are imported only once.
    /// </summary>
    /// <exception cref="ArgumentException">The profile is not normalised or the value index is out of range.</exception>
    public void Add(string tenant, ProfileSeries series)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        ArgumentNullException.ThrowIfNull(series);
        GetDataset(tenant, series.ServiceName).Add(series);
        ProfileCount++;
    }

    /// <summary>
    /// Copies the rows of a dataset read from another block (optionally only some series), remapping its symbols into
    /// this writer's dataset of the same service, deduplicated against what is already there (compaction).
    /// </summary>
    /// <param name="source">The dataset to copy.</param>
    /// <param name="tenant">The tenant to file it under; null keeps the source's tenant.</param>
    /// <param name="seriesFilter">Which series to copy; null copies all.</param>
    public void AddDataset(DatasetReader source, string? tenant = null, Func<LabelSet, bool>? seriesFilter = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ProfileCount += GetDataset(tenant ?? source.Tenant, source.ServiceName).CopyFrom(source, seriesFilter);
    }

    /// <summary>Builds the object in memory.</summary>
    /// <param name="id">The block id (a ULID string, see <see cref="Ulid"/>).</param>
    /// <param name="shard">The shard the block belongs to.</param>
    /// <param name="compactionLevel">0 for segments; the block's tenant is then "" (multi-tenant).</param>
    /// <param name="createdBy">The writer's name, e.g. the host name.</param>
    public (byte[] Bytes, BlockMeta Meta) Build(string id, uint shard, int compactionLevel, string createdBy)
    {
        using var stream = new MemoryStream();
        var meta = Write(stream, id, shard, compactionLevel, createdBy);
        return (stream.ToArray(), meta);
    }

    /// <summary>
    /// Writes the object to <paramref name="output"/> (which need not be seekable) and returns its metadata, with
    /// <see cref="BlockMeta.Size"/> set to the object size. A compacted block (level &gt; 0) whose datasets all belong
    /// to one tenant records that tenant; otherwise the tenant is "" (a multi-tenant segment).
    /// </summary>
    public BlockMeta Write(Stream output, string id, uint shard, int compactionLevel, string createdBy)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(id);
        ArgumentNullException.ThrowIfNull(createdBy);
        ArgumentOutOfRangeException.ThrowIfNegative(compactionLevel);

        var datasets = new List<DatasetBuilder>(_datasets.Count);
        foreach (var builder in _datasets.Values)
        {
            if (builder.RowCount > 0)
            {
                datasets.Add(builder);
            }
        }

        datasets.Sort(static (a, b) =>
        {
            var c = string.CompareOrdinal(a.Tenant, b.Tenant);
            return c != 0 ? c : string.CompareOrdinal(a.Service, b.Service);
        });

        var strings = new MetaStringTable();
        var meta = new BlockMeta
        {
            FormatVersion = BlockFormat.Version,
            Id = id,
            Shard = shard,
            CompactionLevel = (uint)compactionLevel,
            CreatedBy = strings.Add(createdBy),
        };

        var singleTenant = datasets.Count > 0 && datasets.TrueForAll(d => d.Tenant == datasets[0].Tenant);
        meta.Tenant = compactionLevel > 0 && singleTenant ? strings.Add(datasets[0].Tenant) : 0;

        Span<byte> fixedBytes = stackalloc byte[BlockFormat.TrailerSize];
        BlockFormat.WriteHeader(fixedBytes);
        output.Write(fixedBytes[..BlockFormat.HeaderSize]);
        long position = BlockFormat.HeaderSize;
        using var raw = new ByteSink(64 * 1024);
        using var stored = new ByteSink(64 * 1024);
        var minTime = long.MaxValue;
        var maxTime = long.MinValue;
        foreach (var builder in datasets)
        {
            var dataset = builder.WriteTo(output, position, _options, strings, raw, stored);
            position += (long)dataset.Size;
            meta.Datasets.Add(dataset);
            minTime = Math.Min(minTime, dataset.MinTime);
            maxTime = Math.Max(maxTime, dataset.MaxTime);
        }

        meta.MinTime = minTime == long.MaxValue ? 0 : minTime;
        meta.MaxTime = maxTime == long.MinValue ? 0 : maxTime;
        meta.StringTable.AddRange(strings.Strings);
        var metaBytes = meta.ToByteArray();
        output.Write(metaBytes);
        BlockFormat.WriteTrailer(fixedBytes, (uint)metaBytes.Length, Crc32C.Compute(metaBytes));
        output.Write(fixedBytes);
        meta.Size = (ulong)(position + metaBytes.Length + BlockFormat.TrailerSize);
        return meta;
    }

    private DatasetBuilder GetDataset(string tenant, string service)
    {
        if (!_datasets.TryGetValue((tenant, service), out var builder))
        {
            builder = new DatasetBuilder(tenant, service);
            _datasets.Add((tenant, service), builder);
        }

        return builder;
    }
}
