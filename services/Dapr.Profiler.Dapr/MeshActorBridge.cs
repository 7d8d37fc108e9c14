using Dapr.Actors;
using Dapr.Profiler.Mesh;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using SdkActor = Dapr.Actors.Runtime.Actor;
using SdkActorHost = Dapr.Actors.Runtime.ActorHost;
using SdkRemindable = Dapr.Actors.Runtime.IRemindable;

namespace Dapr.Profiler.Dapr;

/// <summary>The SDK actor interface of every mesh actor: one method that carries the mesh method and request.</summary>
public interface IMeshActor : IActor
{
    /// <summary>Runs a mesh actor method in the actor's turn.</summary>
    Task<MeshActorReply> Invoke(MeshActorCall request);
}

/// <summary>
/// Hosts a mesh <see cref="Mesh.Actor"/> inside the Dapr SDK's actor runtime: the SDK gives placement, turn-based
/// calls, state through the sidecar's actor state store and durable reminders; this class creates the mesh actor of
/// its type from the <see cref="ActorRegistry"/> on activation and forwards calls, reminders and deactivation to it.
/// Mesh actors do not see the SDK: their state and reminders go through <see cref="SdkActorContext"/>.
/// </summary>
public sealed class MeshActorBridge : SdkActor, IMeshActor, SdkRemindable
{
    /// <summary>The SDK method name every mesh call travels as.</summary>
    public const string MethodName = nameof(IMeshActor.Invoke);

    private readonly ActorRegistry _registry;
    private readonly ILoggerFactory _loggerFactory;
    private readonly TimeProvider _timeProvider;
    private ActorTypeRegistration? _type;
    private Mesh.Actor? _actor;

    public MeshActorBridge(SdkActorHost host, ActorRegistry registry, ILoggerFactory loggerFactory, TimeProvider timeProvider)
        : base(host)
    {
        _registry = registry;
        _loggerFactory = loggerFactory;
        _timeProvider = timeProvider;
    }

    public async Task<MeshActorReply> Invoke(MeshActorCall request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (type, actor) = await ActivatedAsync();
        if (!type.Methods.TryGetValue(request.Method, out var method))
        {
            return new MeshActorReply([], ServiceStatus.Unimplemented, $"actor type {type.ActorType} has no method {request.Method}");
        }

        try
        {
            var message = method.RequestParser.ParseFrom(request.Data);
            var response = await method.Handler(actor, message, CancellationToken.None);
            return new MeshActorReply(response.ToByteArray(), null, null);
        }
        catch (InvalidProtocolBufferException ex)
        {
            return new MeshActorReply([], ServiceStatus.InvalidArgument, ex.Message);
        }
        catch (ServiceException ex)
        {
            return new MeshActorReply([], ex.Status, ex.Message);
        }
    }

    public async Task ReceiveReminderAsync(string reminderName, byte[] state, TimeSpan dueTime, TimeSpan period)
    {
        var (_, actor) = await ActivatedAsync();
        if (actor is Mesh.IRemindable remindable)
        {
            await remindable.ReceiveReminderAsync(reminderName, state, dueTime, period);
        }
    }

    protected override async Task OnActivateAsync() => await ActivatedAsync();

    protected override async Task OnDeactivateAsync()
    {
        if (_actor is not null)
        {
            await _actor.DeactivateAsync();
        }
    }

    private async Task<(ActorTypeRegistration Type, Mesh.Actor Actor)> ActivatedAsync()
    {
        if (_type is not null && _actor is not null)
        {
            return (_type, _actor);
        }

        var typeName = Host.ActorTypeInfo.ActorTypeName;
        if (!_registry.TryGet(typeName, out var type))
        {
            throw new InvalidOperationException($"actor type {typeName} is hosted by the Dapr SDK but not registered with the mesh");
        }

        var host = new Mesh.ActorHost(typeName, new Mesh.ActorId(Id.GetId()), _loggerFactory, _timeProvider, new SdkActorContext(this));
        var actor = type.Factory(host);
        _type = type;
        _actor = actor;
        await actor.ActivateAsync();
        return (type, actor);
    }

    // The SDK's protected members, for the context.
    internal global::Dapr.Actors.Runtime.IActorStateManager SdkStateManager => StateManager;

    internal Task SdkRegisterReminderAsync(string name, byte[]? state, TimeSpan dueTime, TimeSpan period) =>
        RegisterReminderAsync(name, state, dueTime, period);

    internal Task SdkUnregisterReminderAsync(string name) => UnregisterReminderAsync(name);
}
