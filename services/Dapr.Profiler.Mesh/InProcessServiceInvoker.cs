using Google.Protobuf;

namespace Dapr.Profiler.Mesh;

/// <summary>Invokes methods hosted in this process without serialisation: the request object is handed over.</summary>
public sealed class InProcessServiceInvoker(ServiceMethodRegistry registry) : IServiceInvoker
{
    public async Task<TResponse> InvokeAsync<TRequest, TResponse>(string appId, string method, TRequest request, CancellationToken cancellationToken)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse>, new()
    {
        if (!registry.TryGet(appId, method, out var target))
        {
            throw new ServiceException(ServiceStatus.Unavailable, $"no service {appId} with method {method} runs in this process");
        }

        var response = await target.Handler(request, cancellationToken);
        return (TResponse)response;
    }
}
