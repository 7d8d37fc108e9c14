using System.Collections.Concurrent;
using Google.Protobuf;

namespace Dapr.Profiler.Mesh;

/// <summary>A method of an actor type: how to parse its request and the handler to run in the actor's turn.</summary>
public sealed record ActorMethod(
    string Name,
    MessageParser RequestParser,
    Func<Actor, IMessage, CancellationToken, Task<IMessage>> Handler);

/// <summary>A hosted actor type: its factory and methods. Under Dapr it is an entry of <c>GET /dapr/config</c>.</summary>
public sealed record ActorTypeRegistration(
    string ActorType,
    Func<ActorHost, Actor> Factory,
    IReadOnlyDictionary<string, ActorMethod> Methods);

/// <summary>
/// The actor types this process hosts, each with its factory and its methods mapped explicitly by name (no
/// reflection). Register every type before the runtime starts: reminders of unregistered types are not armed.
/// </summary>
public sealed class ActorRegistry
{
    private readonly ConcurrentDictionary<string, ActorTypeRegistration> _types = new(StringComparer.Ordinal);

    public IReadOnlyCollection<string> ActorTypes => [.. _types.Keys.Order(StringComparer.Ordinal)];

    /// <summary>Registers an actor type.</summary>
    /// <param name="actorType">The type name (Dapr URL rules: no <c>/ \ # ?</c> or control characters).</param>
    /// <param name="factory">Makes the actor of one activation; called in its first turn.</param>
    /// <param name="methods">Maps the type's methods, e.g. <c>m => m.Map&lt;AddRequest, AddResponse&gt;("Add", (a, r, ct) => a.AddAsync(r, ct))</c>.</param>
    /// <exception cref="InvalidOperationException">The type is already registered.</exception>
    public void RegisterActor<TActor>(string actorType, Func<ActorHost, TActor> factory, Action<ActorMethodMap<TActor>>? methods = null)
        where TActor : Actor
    {
        ActorNames.Validate(actorType, nameof(actorType), "actor type");
        ArgumentNullException.ThrowIfNull(factory);
        var map = new ActorMethodMap<TActor>(actorType);
        methods?.Invoke(map);
        var registration = new ActorTypeRegistration(actorType, host => factory(host), map.Methods);
        if (!_types.TryAdd(actorType, registration))
        {
            throw new InvalidOperationException($"actor type {actorType} is registered twice");
        }
    }

    public bool TryGet(string actorType, out ActorTypeRegistration registration) =>
        _types.TryGetValue(actorType, out registration!);
}

/// <summary>The methods of one actor type, mapped by name to handlers taking and returning protobuf messages.</summary>
public sealed class ActorMethodMap<TActor>
    where TActor : Actor
{
    private readonly string _actorType;
    private readonly Dictionary<string, ActorMethod> _methods = new(StringComparer.Ordinal);

    internal ActorMethodMap(string actorType) => _actorType = actorType;

    internal IReadOnlyDictionary<string, ActorMethod> Methods => _methods;

    /// <summary>Maps a method. Names starting with <c>remind/</c> or <c>timer/</c> are Dapr's reminder and timer routes.</summary>
    public ActorMethodMap<TActor> Map<TRequest, TResponse>(string method, Func<TActor, TRequest, CancellationToken, Task<TResponse>> handler)
        where TRequest : IMessage<TRequest>, new()
        where TResponse : IMessage<TResponse>
    {
        ArgumentException.ThrowIfNullOrEmpty(method);
        ArgumentNullException.ThrowIfNull(handler);
        if (method.StartsWith("remind/", StringComparison.Ordinal) || method.StartsWith("timer/", StringComparison.Ordinal))
        {
            throw new ArgumentException($"method name {method} collides with Dapr's reminder and timer routes", nameof(method));
        }

        var parser = new MessageParser<TRequest>(() => new TRequest());
        var entry = new ActorMethod(method, parser, async (actor, request, ct) =>
        {
            if (request is not TRequest typed)
            {
                throw new ServiceException(
                    ServiceStatus.InvalidArgument,
                    $"actor method {_actorType}/{method} takes {typeof(TRequest).Name}, not {request.GetType().Name}");
            }

            return await handler((TActor)actor, typed, ct);
        });
        if (!_methods.TryAdd(method, entry))
        {
            throw new InvalidOperationException($"actor method {_actorType}/{method} is mapped twice");
        }

        return this;
    }
}
