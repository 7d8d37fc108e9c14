using System.Collections.Concurrent;
using Google.Protobuf.WellKnownTypes;

namespace Dapr.Profiler.Mesh.Tests;

/// <summary>What the test actors saw, shared across activations and runtimes.</summary>
internal sealed class Probe
{
    private readonly ConcurrentDictionary<string, StrongBox> _inTurn = new();
    private int _overlaps;
    private int _failNextActivations;

    public int Overlaps => Volatile.Read(ref _overlaps);

    public ConcurrentQueue<string> Activations { get; } = new();

    public ConcurrentQueue<string> Deactivations { get; } = new();

    public ConcurrentQueue<(string Id, string Name, byte[]? State, TimeSpan Period)> Reminders { get; } = new();

    public ConcurrentQueue<string> Ticks { get; } = new();

    public bool FailReminders { get; set; }

    public bool FailTimers { get; set; }

    public IActorInvoker? Invoker { get; set; }

    /// <summary>Completed by <see cref="CounterActor.HoldAsync"/> when it starts, per actor id.</summary>
    public ConcurrentDictionary<string, TaskCompletionSource> Entered { get; } = new();

    public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void FailNextActivations(int count) => Volatile.Write(ref _failNextActivations, count);

    public bool ShouldFailActivation() => Interlocked.Decrement(ref _failNextActivations) >= 0;

    public int RemindersOf(string id, string name) => Reminders.Count(r => r.Id == id && r.Name == name);

    /// <summary>Marks a turn of the actor as running; two at once for one actor count as an overlap.</summary>
    public IDisposable EnterTurn(string id)
    {
        var box = _inTurn.GetOrAdd(id, _ => new StrongBox());
        if (Interlocked.Increment(ref box.Value) > 1)
        {
            Interlocked.Increment(ref _overlaps);
        }

        return new Exit(box);
    }

    public TaskCompletionSource EnteredFor(string id) =>
        Entered.GetOrAdd(id, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    private sealed class StrongBox
    {
        public int Value; // a field, for Interlocked
    }

    private sealed class Exit(StrongBox box) : IDisposable
    {
        public void Dispose() => Interlocked.Decrement(ref box.Value);
    }
}

/// <summary>A value kept in actor state as JSON.</summary>
internal sealed record Snapshot(string Name, int[] Values);

/// <summary>The test actor: a counter with reminders, timers and failure switches.</summary>
internal sealed class CounterActor(ActorHost host, Probe probe) : Actor(host), IRemindable
{
    public const string TypeName = "Counter";

    /// <summary>Kept in memory only: the 1,000-call test counts turns without disk writes.</summary>
    private long _memoryCount;

    public static ActorRegistry Registry(Probe probe)
    {
        var registry = new ActorRegistry();
        registry.RegisterActor(TypeName, host => new CounterActor(host, probe), m => m
            .Map<Int64Value, Int64Value>("Increment", (a, r, ct) => a.IncrementAsync(r))
            .Map<Int64Value, Int64Value>("Add", (a, r, ct) => a.AddAsync(r, ct))
            .Map<Empty, Int64Value>("Get", (a, r, ct) => a.GetAsync(ct))
            .Map<Int64Value, Empty>("FailAfterSet", (a, r, ct) => a.FailAfterSetAsync(r, ct))
            .Map<StringValue, Empty>("Hold", (a, r, ct) => a.HoldAsync())
            .Map<StringValue, Empty>("StartReminder", (a, r, ct) => a.StartReminderAsync(r))
            .Map<StringValue, Empty>("StopReminder", (a, r, ct) => a.StopReminderAsync(r))
            .Map<StringValue, Empty>("StartTimer", (a, r, ct) => a.StartTimerAsync(r))
            .Map<StringValue, Empty>("StopTimer", (a, r, ct) => a.StopTimerAsync(r))
            .Map<Empty, Int64Value>("CallSelf", (a, r, ct) => a.CallSelfAsync(ct))
            .Map<StringValue, Empty>("StoreTypes", (a, r, ct) => a.StoreTypesAsync(r, ct))
            .Map<Empty, StringValue>("ReadTypes", (a, r, ct) => a.ReadTypesAsync(ct)));
        return registry;
    }

    protected override Task OnActivateAsync()
    {
        if (probe.ShouldFailActivation())
        {
            throw new InvalidOperationException("activation fails on purpose");
        }

        probe.Activations.Enqueue(Id.Id);
        return Task.CompletedTask;
    }

    protected override Task OnDeactivateAsync()
    {
        probe.Deactivations.Enqueue(Id.Id);
        return Task.CompletedTask;
    }

    public async Task ReceiveReminderAsync(string reminderName, byte[]? state, TimeSpan dueTime, TimeSpan period)
    {
        using var turn = probe.EnterTurn(Id.Id);
        await Task.Yield();
        probe.Reminders.Enqueue((Id.Id, reminderName, state, period));
        if (probe.FailReminders)
        {
            throw new InvalidOperationException("reminder fails on purpose");
        }
    }

    private async Task<Int64Value> IncrementAsync(Int64Value request)
    {
        using var turn = probe.EnterTurn(Id.Id);
        var before = _memoryCount;
        await Task.Yield(); // gives an overlapping turn every chance to interleave
        _memoryCount = before + request.Value;
        return new Int64Value { Value = _memoryCount };
    }

    private async Task<Int64Value> AddAsync(Int64Value request, CancellationToken ct)
    {
        using var turn = probe.EnterTurn(Id.Id);
        var current = await StateManager.TryGetStateAsync<long>("count", ct);
        var next = (current.HasValue ? current.Value : 0) + request.Value;
        await StateManager.SetStateAsync("count", next, ct);
        return new Int64Value { Value = next };
    }

    private async Task<Int64Value> GetAsync(CancellationToken ct)
    {
        var current = await StateManager.TryGetStateAsync<long>("count", ct);
        return new Int64Value { Value = current.HasValue ? current.Value : -1 };
    }

    private async Task<Empty> FailAfterSetAsync(Int64Value request, CancellationToken ct)
    {
        await StateManager.SetStateAsync("count", request.Value, ct);
        throw new InvalidOperationException("method fails on purpose");
    }

    private async Task<Empty> HoldAsync()
    {
        using var turn = probe.EnterTurn(Id.Id);
        probe.EnteredFor(Id.Id).TrySetResult();
        await probe.Release.Task;
        return new Empty();
    }

    /// <summary>"name|dueMs|periodMs[|state]".</summary>
    private static (string Name, TimeSpan Due, TimeSpan Period, byte[]? State) Parse(StringValue spec)
    {
        var parts = spec.Value.Split('|');
        return (parts[0], TimeSpan.FromMilliseconds(int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture)),
            TimeSpan.FromMilliseconds(int.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture)),
            parts.Length > 3 ? System.Text.Encoding.UTF8.GetBytes(parts[3]) : null);
    }

    private async Task<Empty> StartReminderAsync(StringValue spec)
    {
        var (name, due, period, state) = Parse(spec);
        await RegisterReminderAsync(name, state, due, period);
        return new Empty();
    }

    private async Task<Empty> StopReminderAsync(StringValue name)
    {
        await UnregisterReminderAsync(name.Value);
        return new Empty();
    }

    private async Task<Empty> StartTimerAsync(StringValue spec)
    {
        var (name, due, period, state) = Parse(spec);
        await RegisterTimerAsync(name, OnTimerAsync, state, due, period);
        return new Empty();
    }

    private async Task OnTimerAsync(byte[]? state)
    {
        using var turn = probe.EnterTurn(Id.Id);
        await Task.Yield();
        probe.Ticks.Enqueue(Id.Id);
        var ticks = await StateManager.TryGetStateAsync<int>("ticks");
        await StateManager.SetStateAsync("ticks", (ticks.HasValue ? ticks.Value : 0) + 1);
        if (probe.FailTimers)
        {
            throw new InvalidOperationException("timer fails on purpose");
        }
    }

    private async Task<Empty> StopTimerAsync(StringValue name)
    {
        await UnregisterTimerAsync(name.Value);
        return new Empty();
    }

    private Task<Int64Value> CallSelfAsync(CancellationToken ct) =>
        probe.Invoker!.InvokeAsync<Empty, Int64Value>(TypeName, Id, "Get", new Empty(), ct);

    private async Task<Empty> StoreTypesAsync(StringValue value, CancellationToken ct)
    {
        await StateManager.SetStateAsync("snapshot", new Snapshot(value.Value, [1, 2, 3]), ct);
        await StateManager.SetStateAsync("message", new StringValue { Value = value.Value + "-proto" }, ct);
        await StateManager.SetStateAsync("bytes", new byte[] { 0, 255 }, ct);
        return new Empty();
    }

    private async Task<StringValue> ReadTypesAsync(CancellationToken ct)
    {
        var snapshot = await StateManager.GetStateAsync<Snapshot>("snapshot", ct);
        var message = await StateManager.GetStateAsync<StringValue>("message", ct);
        var bytes = await StateManager.GetStateAsync<byte[]>("bytes", ct);
        return new StringValue { Value = $"{snapshot.Name}:{string.Join(",", snapshot.Values)}:{message.Value}:{Convert.ToHexString(bytes)}" };
    }
}
