using Dapr.Profiler.Mesh;
using Google.Protobuf;

namespace Dapr.Profiler.Dapr;

/// <summary>
/// <see cref="IServiceInvoker"/> through the Dapr sidecar: <c>POST /v1.0/invoke/{appId}/method/{method}</c> with an
/// <c>application/x-protobuf</c> body, answered by the target's <see cref="ServiceMethodEndpoints"/>. Errors the
/// target wrote keep their <see cref="ServiceStatus"/>; an unreachable target is <see cref="ServiceStatus.Unavailable"/>.
/// </summary>
public sealed class DaprServiceInvoker(DaprClient client) : IServiceInvoker
{
    public async Task<TResponse> InvokeAsync<TRequest, TResponse>(string appId, string method, TRequest request, CancellationToken cancellationToken)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse>, new()
    {
        ArgumentNullException.ThrowIfNull(request);
        var body = await client.InvokeMethodAsync(appId, method, request.ToByteArray(), ServiceMethodEndpoints.ProtobufContentType, cancellationToken);
        try
        {
            return ParserOf<TResponse>.Parser.ParseFrom(body);
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new ServiceException(ServiceStatus.Internal, $"{appId}/{method} answered a body that is not a {typeof(TResponse).Name}: {ex.Message}", ex);
        }
    }

    private static class ParserOf<T>
        where T : IMessage<T>, new()
    {
        public static readonly MessageParser<T> Parser = new(() => new T());
    }
}

/// <summary>
/// <see cref="IPublisher"/> through the Dapr sidecar: <c>POST /v1.0/publish/{pubsub}/{topic}</c>, the content type
/// becoming the CloudEvent's <c>datacontenttype</c> (binary content travels base64 in <c>data_base64</c>).
/// </summary>
public sealed class DaprPublisher(DaprClient client) : IPublisher
{
    public Task PublishAsync(string pubSubName, string topic, ReadOnlyMemory<byte> data, string contentType, CancellationToken cancellationToken) =>
        client.PublishEventAsync(pubSubName, topic, data, contentType, metadata: null, cancellationToken);
}
