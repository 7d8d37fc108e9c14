using System.Collections.Concurrent;
using Dapr.Profiler.Mesh;
using Dapr.Profiler.Metastore.Client;
using Dapr.Profiler.Protos.Block;
using Dapr.Profiler.Protos.Metastore;

namespace Dapr.Profiler.SegmentWriter.Tests;

/// <summary>A metastore that records AddBlock calls and can be told to fail them.</summary>
internal sealed class RecordingMetastore : IMetastoreClient
{
    public ConcurrentQueue<BlockMeta> Blocks { get; } = new();

    public volatile bool Fail;

    public Task AddBlockAsync(AddBlockRequest request, CancellationToken cancellationToken)
    {
        if (Fail)
        {
            throw new ServiceException(ServiceStatus.Unavailable, "metastore down (test)");
        }

        Blocks.Enqueue(request.Block);
        return Task.CompletedTask;
    }

    public Task<QueryMetadataResponse> QueryMetadataAsync(QueryMetadataRequest request, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<ProfileTypesResponse> ProfileTypesAsync(MetadataQueryRequest request, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<LabelNamesResponse> LabelNamesAsync(MetadataQueryRequest request, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<LabelValuesResponse> LabelValuesAsync(LabelValuesRequest request, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<SeriesLabelsResponse> SeriesLabelsAsync(SeriesLabelsRequest request, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<TenantStatsResponse> TenantStatsAsync(TenantStatsRequest request, CancellationToken cancellationToken) => throw new NotSupportedException();
}
