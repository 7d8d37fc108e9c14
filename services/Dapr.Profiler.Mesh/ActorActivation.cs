namespace Dapr.Profiler.Mesh;

/// <summary>The address of one actor.</summary>
internal readonly record struct ActorKey(string ActorType, ActorId Id)
{
    public override string ToString() => $"{ActorType}/{Id}";
}

/// <summary>
/// One activation of one actor in <see cref="InProcessActorRuntime"/>: the turn gate, the actor instance, its state
/// cache and timers. Flags change only while the gate is held; timers are guarded by locking <see cref="Timers"/>.
/// </summary>
internal sealed class ActorActivation(InProcessActorRuntime runtime, ActorTypeRegistration type, ActorId id, IActorStateStore store, DateTimeOffset created)
    : IActorContext
{
    private int _pending;
    private long _lastUsedTicks = created.UtcTicks;

    public ActorKey Key { get; } = new(type.ActorType, id);

    public ActorTypeRegistration Type { get; } = type;

    public ActorId Id => Key.Id;

    /// <summary>Held for the whole of every turn: this is the turn-based guarantee.</summary>
    public SemaphoreSlim Gate { get; } = new(1, 1);

    public Actor? Actor { get; set; }

    public ActorStateManager State { get; } = new(store, type.ActorType, id);

    /// <summary>OnActivateAsync completed.</summary>
    public bool IsActivated { get; set; }

    /// <summary>Gone from the table; a caller that got the gate of such an activation looks the actor up again.</summary>
    public bool IsDeactivated { get; set; }

    public Dictionary<string, ActorTimer> Timers { get; } = new(StringComparer.Ordinal);

    /// <summary>Callers waiting for the gate: an activation with waiters is not idle.</summary>
    public int Pending => Volatile.Read(ref _pending);

    public DateTimeOffset LastUsed
    {
        get => new(Interlocked.Read(ref _lastUsedTicks), TimeSpan.Zero);
        set => Interlocked.Exchange(ref _lastUsedTicks, value.UtcTicks);
    }

    IActorStateManager IActorContext.StateManager => State;

    public void EnterWaiting() => Interlocked.Increment(ref _pending);

    public void LeaveWaiting() => Interlocked.Decrement(ref _pending);

    public Task RegisterReminderAsync(string reminderName, byte[]? state, TimeSpan dueTime, TimeSpan period) =>
        runtime.RegisterReminderAsync(Key, reminderName, state, dueTime, period);

    public Task UnregisterReminderAsync(string reminderName) => runtime.UnregisterReminderAsync(Key, reminderName);

    public Task RegisterTimerAsync(string timerName, Func<byte[]?, Task> callback, byte[]? state, TimeSpan dueTime, TimeSpan period) =>
        runtime.RegisterTimer(this, timerName, callback, state, dueTime, period);

    public Task UnregisterTimerAsync(string timerName) => InProcessActorRuntime.UnregisterTimer(this, timerName);
}

/// <summary>An in-memory timer of one activation.</summary>
internal sealed class ActorTimer(string name, Func<byte[]?, Task> callback, byte[]? state, TimeSpan period)
{
    public string Name { get; } = name;

    public Func<byte[]?, Task> Callback { get; } = callback;

    public byte[]? State { get; } = state;

    public TimeSpan Period { get; } = period;

    public ITimer? Handle { get; set; }
}

/// <summary>
/// A turn in progress, flowing with the async context so a call from inside a turn can see that it would wait for
/// one of its callers' turns (a deadlock under turn-based concurrency) and fail instead.
/// </summary>
internal sealed class Turn(ActorKey key, Turn? caller)
{
    public ActorKey Key { get; } = key;

    public Turn? Caller { get; } = caller;

    public bool Active { get; set; } = true;

    public bool Holds(ActorKey key)
    {
        for (var turn = this; turn is not null; turn = turn.Caller)
        {
            if (turn.Active && turn.Key == key)
            {
                return true;
            }
        }

        return false;
    }
}
