using System.Collections.Concurrent;
using Dapr.Profiler.Mesh;
using Dapr.Profiler.Metastore.Client;
using Dapr.Profiler.Protos.Block;
using Dapr.Profiler.Protos.Metastore;
using Google.Protobuf;

namespace Dapr.Profiler.QueryFrontend.Tests;

/// <summary>
/// A metastore that records every request and answers from settable data: <see cref="Blocks"/> for QueryMetadata
/// and a canned answer per metadata question. <see cref="Failure"/> makes every call fail.
/// </summary>
internal sealed class FakeMetastore : IMetastoreClient
{
    private readonly ConcurrentQueue<IMessage> _requests = new();

    public List<BlockMeta> Blocks { get; } = [];

    public ProfileTypesResponse ProfileTypes { get; set; } = new();

    public LabelNamesResponse LabelNames { get; set; } = new();

    public LabelValuesResponse LabelValues { get; set; } = new();

    public SeriesLabelsResponse SeriesLabels { get; set; } = new();

    public TenantStatsResponse TenantStats { get; set; } = new();

    public ServiceException? Failure { get; set; }

    /// <summary>When set, every call waits until it is canceled.</summary>
    public bool Hang { get; set; }

    public IReadOnlyList<IMessage> Requests => [.. _requests];

    public IReadOnlyList<T> RequestsOf<T>() => [.. _requests.OfType<T>()];

    /// <summary>Adds <paramref name="count"/> blocks with distinct ids.</summary>
    public void AddBlocks(int count)
    {
        for (var i = 0; i < count; i++)
        {
            Blocks.Add(new BlockMeta { Id = $"block-{Blocks.Count:D4}", FormatVersion = 1 });
        }
    }

    public Task AddBlockAsync(AddBlockRequest request, CancellationToken cancellationToken) => Answer(request, new AddBlockResponse(), cancellationToken);

    public Task<QueryMetadataResponse> QueryMetadataAsync(QueryMetadataRequest request, CancellationToken cancellationToken)
    {
        var response = new QueryMetadataResponse();
        response.Blocks.AddRange(Blocks.Select(b => b.Clone()));
        return Answer(request, response, cancellationToken);
    }

    public Task<ProfileTypesResponse> ProfileTypesAsync(MetadataQueryRequest request, CancellationToken cancellationToken) => Answer(request, ProfileTypes, cancellationToken);

    public Task<LabelNamesResponse> LabelNamesAsync(MetadataQueryRequest request, CancellationToken cancellationToken) => Answer(request, LabelNames, cancellationToken);

    public Task<LabelValuesResponse> LabelValuesAsync(LabelValuesRequest request, CancellationToken cancellationToken) => Answer(request, LabelValues, cancellationToken);

    public Task<SeriesLabelsResponse> SeriesLabelsAsync(SeriesLabelsRequest request, CancellationToken cancellationToken) => Answer(request, SeriesLabels, cancellationToken);

    public Task<TenantStatsResponse> TenantStatsAsync(TenantStatsRequest request, CancellationToken cancellationToken) => Answer(request, TenantStats, cancellationToken);

    private async Task<T> Answer<T>(IMessage request, T response, CancellationToken cancellationToken)
    {
        _requests.Enqueue(request);
        if (Hang)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }

        return Failure is { } failure ? throw failure : response;
    }
}
