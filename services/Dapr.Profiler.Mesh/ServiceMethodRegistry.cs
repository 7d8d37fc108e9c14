using System.Collections.Concurrent;
using Google.Protobuf;

namespace Dapr.Profiler.Mesh;

/// <summary>A registered service method: how to parse its request and the handler to run.</summary>
public sealed record ServiceMethod(
    string AppId,
    string Method,
    MessageParser RequestParser,
    Func<IMessage, CancellationToken, Task<IMessage>> Handler);

/// <summary>
/// The service methods this process hosts, registered by each service at start. The in-process invoker calls
/// them directly; under Dapr each becomes an app-side route.
/// </summary>
public sealed class ServiceMethodRegistry
{
    private readonly ConcurrentDictionary<(string AppId, string Method), ServiceMethod> _methods = new();

    public IEnumerable<ServiceMethod> Methods => _methods.Values;

    public void Map<TRequest, TResponse>(string appId, string method, Func<TRequest, CancellationToken, Task<TResponse>> handler)
        where TRequest : IMessage<TRequest>, new()
        where TResponse : IMessage<TResponse>
    {
        ArgumentNullException.ThrowIfNull(handler);
        var parser = new MessageParser<TRequest>(() => new TRequest());
        var entry = new ServiceMethod(appId, method, parser, async (request, ct) => await handler((TRequest)request, ct));
        if (!_methods.TryAdd((appId, method), entry))
        {
            throw new InvalidOperationException($"service method {appId}/{method} is registered twice");
        }
    }

    public bool TryGet(string appId, string method, out ServiceMethod serviceMethod) =>
        _methods.TryGetValue((appId, method), out serviceMethod!);
}
