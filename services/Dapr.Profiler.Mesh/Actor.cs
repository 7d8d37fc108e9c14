using Microsoft.Extensions.Logging;

namespace Dapr.Profiler.Mesh;

/// <summary>
/// An actor, as in the Dapr SDK: a unit of state and logic addressed by (type, <see cref="ActorId"/>).
/// <para>
/// Contract kept by every runtime: at most one activation per (type, id) exists at a time; calls, reminders and
/// timers of one actor run one at a time (turn-based: a turn ends when its task completes, so an actor never sees
/// two of its own methods interleave, even across awaits); different actors run in parallel. The first call
/// activates the actor (<see cref="OnActivateAsync"/>); after the idle timeout it is deactivated
/// (<see cref="OnDeactivateAsync"/>) and its timers end. State saved through <see cref="StateManager"/> and
/// reminders outlive activations and restarts. An actor must not call itself through <see cref="IActorInvoker"/>:
/// that waits for its own turn (the in-process runtime detects it and throws).
/// </para>
/// </summary>
public abstract class Actor
{
    protected Actor(ActorHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        Host = host;
        Logger = host.LoggerFactory.CreateLogger(GetType());
    }

    public ActorHost Host { get; }

    public ActorId Id => Host.Id;

    public string ActorType => Host.ActorType;

    /// <summary>This actor's persistent state (see <see cref="IActorStateManager"/>).</summary>
    public IActorStateManager StateManager => Host.Context.StateManager;

    protected ILogger Logger { get; }

    /// <summary>Runs in the first turn of an activation, before the call that activated it; state changes are saved.</summary>
    protected virtual Task OnActivateAsync() => Task.CompletedTask;

    /// <summary>Runs in the last turn of an activation (idle, or the runtime stopping); state changes are saved.</summary>
    protected virtual Task OnDeactivateAsync() => Task.CompletedTask;

    /// <summary>
    /// Registers (or replaces) a durable reminder: after <paramref name="dueTime"/> and then every
    /// <paramref name="period"/> (zero or <see cref="Timeout.InfiniteTimeSpan"/>: once), the runtime calls
    /// <see cref="IRemindable.ReceiveReminderAsync"/> in a turn, activating the actor if needed. The actor type must
    /// implement <see cref="IRemindable"/>. Reminders survive deactivation and restarts; once the returned task
    /// completes the reminder is durable. A failing callback is logged and the reminder keeps its schedule.
    /// </summary>
    protected Task RegisterReminderAsync(string reminderName, byte[]? state, TimeSpan dueTime, TimeSpan period) =>
        Host.Context.RegisterReminderAsync(reminderName, state, dueTime, period);

    /// <summary>Removes the reminder; removing a missing reminder succeeds.</summary>
    protected Task UnregisterReminderAsync(string reminderName) => Host.Context.UnregisterReminderAsync(reminderName);

    /// <summary>
    /// Registers (or replaces) an in-memory timer that runs <paramref name="callback"/> in a turn after
    /// <paramref name="dueTime"/> and then every <paramref name="period"/> (zero or infinite: once). Timers end with
    /// the activation and do not keep the actor active (they do not reset the idle timeout).
    /// </summary>
    protected Task RegisterTimerAsync(string timerName, Func<byte[]?, Task> callback, byte[]? state, TimeSpan dueTime, TimeSpan period) =>
        Host.Context.RegisterTimerAsync(timerName, callback, state, dueTime, period);

    /// <summary>Removes the timer; removing a missing timer succeeds.</summary>
    protected Task UnregisterTimerAsync(string timerName) => Host.Context.UnregisterTimerAsync(timerName);

    internal Task ActivateAsync() => OnActivateAsync();

    internal Task DeactivateAsync() => OnDeactivateAsync();
}

/// <summary>An actor that receives reminders (as the Dapr SDK's <c>IRemindable</c>).</summary>
public interface IRemindable
{
    /// <summary>Called in a turn when a reminder fires, with the values given at registration.</summary>
    Task ReceiveReminderAsync(string reminderName, byte[]? state, TimeSpan dueTime, TimeSpan period);
}

/// <summary>What an actor instance gets from its runtime: identity, logging, time, and its activation's services.</summary>
public sealed class ActorHost
{
    internal ActorHost(string actorType, ActorId id, ILoggerFactory loggerFactory, TimeProvider timeProvider, IActorContext context)
    {
        ActorType = actorType;
        Id = id;
        LoggerFactory = loggerFactory;
        TimeProvider = timeProvider;
        Context = context;
    }

    public string ActorType { get; }

    public ActorId Id { get; }

    public ILoggerFactory LoggerFactory { get; }

    /// <summary>The runtime's clock; actors should read time from it so tests can control it.</summary>
    public TimeProvider TimeProvider { get; }

    internal IActorContext Context { get; }
}

/// <summary>The runtime services of one activation, behind <see cref="ActorHost"/>.</summary>
internal interface IActorContext
{
    IActorStateManager StateManager { get; }

    Task RegisterReminderAsync(string reminderName, byte[]? state, TimeSpan dueTime, TimeSpan period);

    Task UnregisterReminderAsync(string reminderName);

    Task RegisterTimerAsync(string timerName, Func<byte[]?, Task> callback, byte[]? state, TimeSpan dueTime, TimeSpan period);

    Task UnregisterTimerAsync(string timerName);
}
