using System.Text.RegularExpressions;
using Dapr.Profiler.Block;
using Dapr.Profiler.Mesh;
using Dapr.Profiler.Model;
using Dapr.Profiler.ObjectStorage;
using Dapr.Profiler.Protos.Block;
using Dapr.Profiler.Protos.QueryBackend;
using Microsoft.Extensions.Logging;

namespace Dapr.Profiler.QueryBackend;

/// <summary>
/// Runs a READ node: picks the datasets the request may and needs to read, opens their blocks (footer read, or the
/// whole object when the store has no range reads), reads each dataset once and hands it to every query's
/// aggregator. Blocks, then datasets, are processed in parallel with <see cref="QueryBackendOptions.ReadConcurrency"/>.
/// </summary>
internal sealed class ReadNodeExecutor(IObjectStore store, QueryBackendOptions options, ILogger logger)
{
    private readonly BlockReaderOptions _readerOptions = new() { FooterReadBytes = options.FooterReadBytes };

    public async Task<ExecutionStats> ExecuteAsync(
        InvocationScope scope, PlanNode node, IReadOnlyList<QueryAggregator> aggregators, CancellationToken cancellationToken)
    {
        var readFrom = aggregators.Min(a => a.ReadRange.From);
        var readTo = aggregators.Max(a => a.ReadRange.To);
        var blocks = new List<(BlockMeta Meta, List<Dataset> Datasets)>();
        foreach (var meta in node.Blocks)
        {
            var datasets = SelectDatasets(scope, meta, readFrom, readTo);
            if (datasets.Count > 0)
            {
                blocks.Add((meta, datasets));
            }
        }

        var bytes = new ByteCounter(scope.Budget);
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = options.ReadConcurrency, CancellationToken = cancellationToken };
        var readers = new BlockReader?[blocks.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, blocks.Count), parallel, async (i, ct) =>
            readers[i] = await OpenBlockAsync(blocks[i].Meta, bytes, ct));

        var work = new List<(BlockMeta Meta, BlockReader Reader, Dataset Dataset)>();
        long blocksRead = 0;
        for (var i = 0; i < blocks.Count; i++)
        {
            if (readers[i] is not { } reader)
            {
                continue;
            }

            blocksRead++;
            foreach (var planned in blocks[i].Datasets)
            {
                work.Add((blocks[i].Meta, reader, FindDataset(blocks[i].Meta, reader.Meta, planned)));
            }
        }

        long datasetsRead = 0;
        await Parallel.ForEachAsync(work, parallel, async (item, ct) =>
        {
            var dataset = await OpenDatasetAsync(item.Meta, item.Reader, item.Dataset, ct);
            if (dataset is null)
            {
                return;
            }

            Interlocked.Increment(ref datasetsRead);
            try
            {
                scope.Budget.AddSeries(CountSeries(dataset, scope));
                foreach (var aggregator in aggregators)
                {
                    // Aggregating is CPU work without awaits: a cancelled query stops between datasets and queries.
                    ct.ThrowIfCancellationRequested();
                    aggregator.AddDataset(dataset);
                }
            }
            catch (BlockFormatException ex)
            {
                throw Corrupt(item.Meta, ex);
            }
            catch (RegexMatchTimeoutException ex)
            {
                throw new ServiceException(
                    ServiceStatus.InvalidArgument, $"a regular expression of the selector took too long to match: {ex.Pattern}", ex);
            }
        });

        return new ExecutionStats
        {
            BlocksRead = blocksRead,
            DatasetsRead = datasetsRead,
            BytesRead = bytes.Value,
            SeriesRead = scope.Budget.Series,
            TreeNodes = scope.Budget.TreeNodes,
        };
    }

    /// <summary>The series of a dataset the selector matches (what the query touches).</summary>
    private static long CountSeries(DatasetReader dataset, InvocationScope scope)
    {
        long count = 0;
        foreach (var selected in dataset.SelectSeries(scope.Filter))
        {
            if (selected)
            {
                count++;
            }
        }

        return count;
    }

    /// <summary>
    /// The planned datasets worth reading: of a tenant of the request (a shared segment holds other tenants' data,
    /// which is never read whatever the plan says), overlapping the time range, and with a profile type and service
    /// name the selector can match (from the metadata labels, without reading the object).
    /// </summary>
    private List<Dataset> SelectDatasets(InvocationScope scope, BlockMeta meta, long readFrom, long readTo)
    {
        var result = new List<Dataset>(meta.Datasets.Count);
        var foreign = 0;
        foreach (var dataset in meta.Datasets)
        {
            if ((uint)dataset.Tenant >= (uint)meta.StringTable.Count || (uint)dataset.Name >= (uint)meta.StringTable.Count)
            {
                throw new ServiceException(ServiceStatus.InvalidArgument, $"the plan's metadata of block {meta.Id} has a string reference out of range");
            }

            if (!scope.Tenants.Contains(meta.GetTenant(dataset)))
            {
                foreign++;
                continue;
            }

            if (dataset.MaxTime < readFrom || dataset.MinTime > readTo || !MayMatch(scope.Selector, meta, dataset))
            {
                continue;
            }

            result.Add(dataset);
        }

        if (foreign > 0)
        {
            Log.ForeignTenantDatasets(logger, foreign, meta.Id, string.Join(",", scope.Tenants));
        }

        return result;
    }

    /// <summary>False when no label set of the dataset's metadata (<c>{service_name, __profile_type__}</c>) passes the
    /// selector's matchers on those two labels; true when undecidable.</summary>
    private static bool MayMatch(LabelSelector selector, BlockMeta meta, Dataset dataset)
    {
        if (dataset.Labels.Count == 0)
        {
            return true;
        }

        IReadOnlyList<LabelSet> sets;
        try
        {
            sets = meta.GetLabelSets(dataset);
        }
        catch (Exception ex) when (ex is ArgumentException or IndexOutOfRangeException)
        {
            return true;
        }

        foreach (var set in sets)
        {
            var matches = true;
            foreach (var matcher in selector.Matchers)
            {
                if ((matcher.Name is LabelNames.ServiceName or LabelNames.ProfileType) && !matcher.Matches(set.Get(matcher.Name)))
                {
                    matches = false;
                    break;
                }
            }

            if (matches)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The footer's entry for a planned dataset (the plan's metadata has its own string table).</summary>
    private Dataset FindDataset(BlockMeta planMeta, BlockMeta footer, Dataset planned)
    {
        var tenant = planMeta.GetTenant(planned);
        var service = planMeta.GetServiceName(planned);
        foreach (var dataset in footer.Datasets)
        {
            if (dataset.Offset == planned.Offset && dataset.Size == planned.Size
                && string.Equals(footer.GetTenant(dataset), tenant, StringComparison.Ordinal)
                && string.Equals(footer.GetServiceName(dataset), service, StringComparison.Ordinal))
            {
                return dataset;
            }
        }

        var key = BlockObjectKeys.Of(planMeta);
        Log.PlanMismatch(logger, planMeta.Id, key, tenant, service, planned.Offset);
        throw new ServiceException(ServiceStatus.Internal, $"block {planMeta.Id} has no dataset {tenant}/{service} at offset {planned.Offset}");
    }

    /// <summary>Opens a block, or returns null when its object no longer exists.</summary>
    private async Task<BlockReader?> OpenBlockAsync(BlockMeta meta, ByteCounter bytes, CancellationToken cancellationToken)
    {
        var key = ObjectKey(meta);
        try
        {
            BlockReader reader;
            if (store.SupportsRangeReads)
            {
                var size = (long)meta.Size;
                if (size == 0)
                {
                    var info = await store.StatAsync(key, cancellationToken);
                    if (info is null)
                    {
                        Log.ObjectMissing(logger, meta.Id, key);
                        return null;
                    }

                    size = info.Size;
                }

                reader = await BlockReader.OpenAsync(new CountingRangeReader(store, key, bytes), size, _readerOptions, cancellationToken);
            }
            else
            {
                var data = await store.GetAsync(key, cancellationToken);
                bytes.Add(data.Length);
                reader = BlockReader.Open(data, _readerOptions);
            }

            if (!string.Equals(reader.Meta.Id, meta.Id, StringComparison.Ordinal))
            {
                throw new BlockFormatException($"the object holds block {reader.Meta.Id}, not {meta.Id}");
            }

            return reader;
        }
        catch (ObjectNotFoundException)
        {
            Log.ObjectMissing(logger, meta.Id, key);
            return null;
        }
        catch (Exception ex) when (ex is ObjectStoreException or BlockFormatException)
        {
            throw Failure(meta, key, ex);
        }
    }

    /// <summary>Reads one dataset (one range read, or none for an in-memory block); null when the object is gone.</summary>
    private async Task<DatasetReader?> OpenDatasetAsync(BlockMeta meta, BlockReader reader, Dataset dataset, CancellationToken cancellationToken)
    {
        try
        {
            return await reader.OpenDatasetAsync(dataset, cancellationToken);
        }
        catch (ObjectNotFoundException)
        {
            Log.ObjectMissing(logger, meta.Id, BlockObjectKeys.Of(meta));
            return null;
        }
        catch (Exception ex) when (ex is ObjectStoreException or BlockFormatException)
        {
            throw Failure(meta, BlockObjectKeys.Of(meta), ex);
        }
    }

    private static string ObjectKey(BlockMeta meta)
    {
        try
        {
            var key = BlockObjectKeys.Of(meta);
            ObjectKeys.Validate(key);
            return key;
        }
        catch (Exception ex) when (ex is InvalidObjectKeyException or ArgumentException)
        {
            throw new ServiceException(ServiceStatus.InvalidArgument, $"the plan's block {meta.Id} has no valid object key: {ex.Message}", ex);
        }
    }

    private ServiceException Failure(BlockMeta meta, string key, Exception ex)
    {
        if (ex is BlockFormatException format)
        {
            return Corrupt(meta, format);
        }

        Log.StorageFailed(logger, ex, meta.Id, key);
        return new ServiceException(ServiceStatus.Unavailable, $"object storage failed reading block {meta.Id}: {ex.Message}", ex);
    }

    private ServiceException Corrupt(BlockMeta meta, BlockFormatException ex)
    {
        Log.BlockCorrupt(logger, ex, meta.Id, BlockObjectKeys.Of(meta));
        return new ServiceException(ServiceStatus.Internal, $"block {meta.Id} is corrupt: {ex.Message}", ex);
    }
}
