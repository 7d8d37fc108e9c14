using Dapr.Profiler.Mesh;
using Dapr.Profiler.Protos.SegmentWriter;

namespace Dapr.Profiler.SegmentWriter;

/// <summary>The distributor's view of the segment-writer: push one profile to a shard and wait until it is durable.</summary>
public interface ISegmentWriterClient
{
    /// <summary>Returns once the profile is in object storage and in the index (or the metadata DLQ).</summary>
    /// <exception cref="ServiceException">The segment could not be made durable; nothing was acknowledged.</exception>
    Task<PushResponse> PushAsync(PushRequest request, CancellationToken cancellationToken);
}

/// <summary>Calls the segment-writer through the mesh (in process or through Dapr).</summary>
public sealed class SegmentWriterClient(IServiceInvoker invoker) : ISegmentWriterClient
{
    public Task<PushResponse> PushAsync(PushRequest request, CancellationToken cancellationToken) =>
        invoker.InvokeAsync<PushRequest, PushResponse>(DaprNames.AppIds.SegmentWriter, DaprNames.Methods.SegmentWriterPush, request, cancellationToken);
}
