using Dapr.Profiler.Block;
using Dapr.Profiler.ObjectStorage;
using Dapr.Profiler.Protos.Block;
using Dapr.Profiler.Protos.Compaction;

namespace Dapr.Profiler.Compaction;

/// <summary>One output block of a job, built in memory.</summary>
public sealed record CompactedBlock(string Key, byte[] Bytes, BlockMeta Meta);

/// <summary>
/// Merges the source blocks of a job into one block per tenant at the next level: datasets of the same service are
/// merged (rows in (series, timestamp) order, exact duplicates dropped, symbols deduplicated across the inputs). The
/// output ids are derived from the sources, and given the same sources the bytes are the same.
/// </summary>
public static class BlockCompactor
{
    /// <summary>Merges blocks already read into memory (sources in any order: they are taken oldest id first).</summary>
    /// <param name="sources">The source blocks.</param>
    /// <param name="shard">The shard of the job.</param>
    /// <param name="sourceLevel">The level of the sources; outputs are one level up.</param>
    /// <param name="compressionLevel">Brotli quality of the outputs.</param>
    /// <param name="retentionEdges">
    /// Per tenant, the data time before which retention hides data: datasets that end before it are left out, so a
    /// merge can never make hidden rows visible again by joining them with newer ones.
    /// </param>
    /// <exception cref="BlockFormatException">A source is damaged.</exception>
    public static List<CompactedBlock> Merge(
        IReadOnlyList<(BlockMeta Meta, ReadOnlyMemory<byte> Bytes)> sources,
        uint shard,
        uint sourceLevel,
        int compressionLevel,
        IReadOnlyDictionary<string, long>? retentionEdges = null)
    {
        ArgumentNullException.ThrowIfNull(sources);
        var writers = new SortedDictionary<string, BlockWriter>(StringComparer.Ordinal);
        var options = new BlockWriterOptions { DropDuplicateRows = true, CompressionLevel = compressionLevel };
        foreach (var (_, bytes) in sources.OrderBy(s => s.Meta.GetUlid()).ThenBy(s => s.Meta.Id, StringComparer.Ordinal))
        {
            var reader = BlockReader.Open(bytes);
            foreach (var dataset in reader.Meta.Datasets)
            {
                var tenant = reader.Meta.GetTenant(dataset);
                if (retentionEdges is not null && retentionEdges.TryGetValue(tenant, out var edge) && dataset.MaxTime < edge)
                {
                    continue;
                }

                if (!writers.TryGetValue(tenant, out var writer))
                {
                    writer = new BlockWriter(options);
                    writers.Add(tenant, writer);
                }

                writer.AddDataset(reader.OpenDataset(dataset), tenant);
            }
        }

        var outputLevel = sourceLevel + 1;
        var metas = sources.Select(s => s.Meta).ToList();
        var result = new List<CompactedBlock>(writers.Count);
        foreach (var (tenant, writer) in writers)
        {
            if (writer.IsEmpty)
            {
                continue;
            }

            var id = CompactionJobs.OutputId(metas, tenant, outputLevel);
            var (bytes, meta) = writer.Build(id, shard, (int)outputLevel, CompactionJobs.CreatedBy);
            result.Add(new CompactedBlock(BlockObjectKeys.Of(meta), bytes, meta));
        }

        return result;
    }

    /// <summary>
    /// Reads the job's sources from the store, merges them and writes the outputs. A missing source fails the job
    /// (<see cref="ObjectNotFoundException"/>): committing without it would drop its data from the index.
    /// </summary>
    /// <returns>The outputs, durable in the store.</returns>
    public static async Task<List<CompactedBlock>> RunAsync(CompactionJob job, IObjectStore store, int compressionLevel, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(store);
        var sources = new List<(BlockMeta, ReadOnlyMemory<byte>)>(job.Sources.Count);
        foreach (var meta in job.Sources)
        {
            sources.Add((meta, await store.GetAsync(BlockObjectKeys.Of(meta), cancellationToken)));
        }

        var outputs = Merge(sources, job.Shard, job.Level, compressionLevel, job.RetentionEdges);
        foreach (var output in outputs)
        {
            await store.PutAsync(output.Key, output.Bytes, cancellationToken);
        }

        return outputs;
    }
}
