using Google.Protobuf;

namespace Dapr.Profiler.Mesh;

/// <summary>
/// Calls a method of an actor by name with a protobuf request. Dapr: <c>PUT /v1.0/actors/{type}/{id}/method/{method}</c>
/// with an <c>application/x-protobuf</c> body. In process: the registered handler runs in the actor's turn, with
/// the request object handed over.
/// </summary>
public interface IActorInvoker
{
    /// <exception cref="ServiceException">
    /// The type or method is unknown (<see cref="ServiceStatus.Unimplemented"/>), the runtime is not running
    /// (<see cref="ServiceStatus.Unavailable"/>), or the method failed: a <see cref="ServiceException"/> it threw is
    /// passed on as is, any other exception becomes <see cref="ServiceStatus.Internal"/>.
    /// </exception>
    Task<TResponse> InvokeAsync<TRequest, TResponse>(string actorType, ActorId id, string method, TRequest request, CancellationToken cancellationToken)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse>, new();
}
