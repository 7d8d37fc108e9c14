using Google.Protobuf;

namespace Dapr.Profiler.Mesh;

/// <summary>
/// Calls a method of another service. Dapr: <c>POST /v1.0/invoke/{appId}/method/{method}</c> with an
/// <c>application/x-protobuf</c> body. In process: a direct call to the handler the HTTP route would call.
/// </summary>
public interface IServiceInvoker
{
    /// <exception cref="ServiceException">The method failed, or the service cannot be reached.</exception>
    Task<TResponse> InvokeAsync<TRequest, TResponse>(string appId, string method, TRequest request, CancellationToken cancellationToken)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse>, new();
}
