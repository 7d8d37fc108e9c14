using Dapr.Profiler.Mesh;
using Dapr.Profiler.Protos.Metastore;

namespace Dapr.Profiler.Metastore.Client;

/// <summary>The metastore as other services see it.</summary>
public interface IMetastoreClient
{
    /// <summary>Registers a block; idempotent. Returns once the entry is durable in the metastore's log.</summary>
    /// <exception cref="ServiceException">The metastore could not record the block.</exception>
    Task AddBlockAsync(AddBlockRequest request, CancellationToken cancellationToken);

    Task<QueryMetadataResponse> QueryMetadataAsync(QueryMetadataRequest request, CancellationToken cancellationToken);

    Task<ProfileTypesResponse> ProfileTypesAsync(MetadataQueryRequest request, CancellationToken cancellationToken);

    Task<LabelNamesResponse> LabelNamesAsync(MetadataQueryRequest request, CancellationToken cancellationToken);

    Task<LabelValuesResponse> LabelValuesAsync(LabelValuesRequest request, CancellationToken cancellationToken);

    Task<SeriesLabelsResponse> SeriesLabelsAsync(SeriesLabelsRequest request, CancellationToken cancellationToken);

    Task<TenantStatsResponse> TenantStatsAsync(TenantStatsRequest request, CancellationToken cancellationToken);
}

/// <summary>The metastore's compaction and life-cycle methods, as the compaction scheduler and workers see them.</summary>
public interface IMetastoreCompactionClient
{
    Task<CompactableBlocksResponse> CompactableBlocksAsync(CompactableBlocksRequest request, CancellationToken cancellationToken);

    Task<LeaseJobResponse> LeaseJobAsync(LeaseJobRequest request, CancellationToken cancellationToken);

    Task<ReplaceBlocksResponse> ReplaceBlocksAsync(ReplaceBlocksRequest request, CancellationToken cancellationToken);

    Task<ListTombstonesResponse> ListTombstonesAsync(ListTombstonesRequest request, CancellationToken cancellationToken);

    Task<DeleteTombstonesResponse> DeleteTombstonesAsync(DeleteTombstonesRequest request, CancellationToken cancellationToken);

    Task<BlockStatesResponse> BlockStatesAsync(BlockStatesRequest request, CancellationToken cancellationToken);

    Task<IndexStatsResponse> IndexStatsAsync(IndexStatsRequest request, CancellationToken cancellationToken);
}

/// <summary>Calls the metastore through the mesh (in process or through Dapr).</summary>
public sealed class MetastoreClient(IServiceInvoker invoker) : IMetastoreClient, IMetastoreCompactionClient
{
    public Task AddBlockAsync(AddBlockRequest request, CancellationToken cancellationToken) =>
        Call<AddBlockRequest, AddBlockResponse>(DaprNames.Methods.MetastoreAddBlock, request, cancellationToken);

    public Task<QueryMetadataResponse> QueryMetadataAsync(QueryMetadataRequest request, CancellationToken cancellationToken) =>
        Call<QueryMetadataRequest, QueryMetadataResponse>(DaprNames.Methods.MetastoreQueryMetadata, request, cancellationToken);

    public Task<ProfileTypesResponse> ProfileTypesAsync(MetadataQueryRequest request, CancellationToken cancellationToken) =>
        Call<MetadataQueryRequest, ProfileTypesResponse>(DaprNames.Methods.MetastoreProfileTypes, request, cancellationToken);

    public Task<LabelNamesResponse> LabelNamesAsync(MetadataQueryRequest request, CancellationToken cancellationToken) =>
        Call<MetadataQueryRequest, LabelNamesResponse>(DaprNames.Methods.MetastoreLabelNames, request, cancellationToken);

    public Task<LabelValuesResponse> LabelValuesAsync(LabelValuesRequest request, CancellationToken cancellationToken) =>
        Call<LabelValuesRequest, LabelValuesResponse>(DaprNames.Methods.MetastoreLabelValues, request, cancellationToken);

    public Task<SeriesLabelsResponse> SeriesLabelsAsync(SeriesLabelsRequest request, CancellationToken cancellationToken) =>
        Call<SeriesLabelsRequest, SeriesLabelsResponse>(DaprNames.Methods.MetastoreSeriesLabels, request, cancellationToken);

    public Task<TenantStatsResponse> TenantStatsAsync(TenantStatsRequest request, CancellationToken cancellationToken) =>
        Call<TenantStatsRequest, TenantStatsResponse>(DaprNames.Methods.MetastoreTenantStats, request, cancellationToken);

    public Task<CompactableBlocksResponse> CompactableBlocksAsync(CompactableBlocksRequest request, CancellationToken cancellationToken) =>
        Call<CompactableBlocksRequest, CompactableBlocksResponse>(DaprNames.Methods.MetastoreCompactableBlocks, request, cancellationToken);

    public Task<LeaseJobResponse> LeaseJobAsync(LeaseJobRequest request, CancellationToken cancellationToken) =>
        Call<LeaseJobRequest, LeaseJobResponse>(DaprNames.Methods.MetastoreLeaseJob, request, cancellationToken);

    public Task<ReplaceBlocksResponse> ReplaceBlocksAsync(ReplaceBlocksRequest request, CancellationToken cancellationToken) =>
        Call<ReplaceBlocksRequest, ReplaceBlocksResponse>(DaprNames.Methods.MetastoreReplaceBlocks, request, cancellationToken);

    public Task<ListTombstonesResponse> ListTombstonesAsync(ListTombstonesRequest request, CancellationToken cancellationToken) =>
        Call<ListTombstonesRequest, ListTombstonesResponse>(DaprNames.Methods.MetastoreListTombstones, request, cancellationToken);

    public Task<DeleteTombstonesResponse> DeleteTombstonesAsync(DeleteTombstonesRequest request, CancellationToken cancellationToken) =>
        Call<DeleteTombstonesRequest, DeleteTombstonesResponse>(DaprNames.Methods.MetastoreDeleteTombstones, request, cancellationToken);

    public Task<BlockStatesResponse> BlockStatesAsync(BlockStatesRequest request, CancellationToken cancellationToken) =>
        Call<BlockStatesRequest, BlockStatesResponse>(DaprNames.Methods.MetastoreBlockStates, request, cancellationToken);

    public Task<IndexStatsResponse> IndexStatsAsync(IndexStatsRequest request, CancellationToken cancellationToken) =>
        Call<IndexStatsRequest, IndexStatsResponse>(DaprNames.Methods.MetastoreIndexStats, request, cancellationToken);

    private Task<TResponse> Call<TRequest, TResponse>(string method, TRequest request, CancellationToken cancellationToken)
        where TRequest : Google.Protobuf.IMessage<TRequest>
        where TResponse : Google.Protobuf.IMessage<TResponse>, new() =>
        invoker.InvokeAsync<TRequest, TResponse>(DaprNames.AppIds.Metastore, method, request, cancellationToken);
}
