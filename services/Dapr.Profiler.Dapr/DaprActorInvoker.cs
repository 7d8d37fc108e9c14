using Dapr.Actors.Client;
using Dapr.Profiler.Mesh;
using Google.Protobuf;
using SdkActorId = Dapr.Actors.ActorId;

namespace Dapr.Profiler.Dapr;

/// <summary>
/// The mesh's <see cref="IActorInvoker"/> under Dapr: calls go through the SDK's actor proxy to the sidecar
/// (<c>PUT /v1.0/actors/{type}/{id}/method/Invoke</c>), which places the actor and forwards to the app hosting it.
/// A failed mesh call comes back with its <see cref="ServiceStatus"/>; a failure to reach the actor is
/// <see cref="ServiceStatus.Unavailable"/>.
/// </summary>
public sealed class DaprActorInvoker(IActorProxyFactory proxies) : IActorInvoker
{
    public async Task<TResponse> InvokeAsync<TRequest, TResponse>(string actorType, Mesh.ActorId id, string method, TRequest request, CancellationToken cancellationToken)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse>, new()
    {
        ArgumentNullException.ThrowIfNull(request);
        var proxy = proxies.Create(new SdkActorId(id.Id), actorType);
        MeshActorReply reply;
        try
        {
            reply = await proxy.InvokeMethodAsync<MeshActorCall, MeshActorReply>(
                MeshActorBridge.MethodName, new MeshActorCall(method, request.ToByteArray()), cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw new ServiceException(ServiceStatus.Unavailable, $"actor {actorType}/{id.Id} could not be called through Dapr: {ex.Message}", ex);
        }

        if (reply.Failure is { } failure)
        {
            throw new ServiceException(failure, reply.Error ?? $"actor {actorType}/{id.Id} method {method} failed");
        }

        var response = new TResponse();
        response.MergeFrom(reply.Data);
        return response;
    }
}
