namespace Dapr.Profiler.Mesh;

public sealed partial class InProcessActorRuntime
{
    /// <summary>The longest due time or period a timer accepts (the limit of .NET timers is about 49 days).</summary>
    private static readonly TimeSpan MaxTimerSchedule = TimeSpan.FromDays(45);

    internal Task RegisterTimer(ActorActivation activation, string name, Func<byte[]?, Task> callback, byte[]? state, TimeSpan dueTime, TimeSpan period)
    {
        ActorNames.Validate(name, nameof(name), "timer name");
        ArgumentNullException.ThrowIfNull(callback);
        ValidateSchedule(dueTime, period);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(dueTime, MaxTimerSchedule, nameof(dueTime));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(period, MaxTimerSchedule, nameof(period));
        var timer = new ActorTimer(name, callback, state?.ToArray(), period);
        ActorTimer? old;
        lock (activation.Timers)
        {
            if (activation.IsDeactivated)
            {
                throw new InvalidOperationException($"actor {activation.Key} is deactivated; its timers have ended");
            }

            activation.Timers.TryGetValue(name, out old);
            activation.Timers[name] = timer;
            timer.Handle = CreateTimer(() => Track(FireTimerAsync(activation, timer)));
        }

        old?.Handle?.Dispose();
        timer.Handle.Change(dueTime, Timeout.InfiniteTimeSpan);
        return Task.CompletedTask;
    }

    internal static Task UnregisterTimer(ActorActivation activation, string name)
    {
        lock (activation.Timers)
        {
            if (activation.Timers.Remove(name, out var timer))
            {
                timer.Handle?.Dispose();
            }
        }

        return Task.CompletedTask;
    }

    private static void CancelTimers(ActorActivation activation)
    {
        lock (activation.Timers)
        {
            foreach (var timer in activation.Timers.Values)
            {
                timer.Handle?.Dispose();
            }

            activation.Timers.Clear();
        }
    }

    private static bool IsCurrent(ActorActivation activation, ActorTimer timer) =>
        activation.Timers.TryGetValue(timer.Name, out var current) && ReferenceEquals(current, timer);

    /// <summary>Runs a timer's callback in a turn of its activation; a timer never activates an actor.</summary>
    private async Task FireTimerAsync(ActorActivation activation, ActorTimer timer)
    {
        try
        {
            await activation.Gate.WaitAsync(_stopping.Token);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        try
        {
            lock (activation.Timers)
            {
                if (activation.IsDeactivated || !IsCurrent(activation, timer))
                {
                    return;
                }
            }

            var turn = new Turn(activation.Key, null);
            CurrentTurn.Value = turn;
            try
            {
                await timer.Callback(timer.State);
                await activation.State.SaveStateAsync(CancellationToken.None);
            }
            catch (Exception ex)
            {
                await activation.State.ClearCacheAsync(CancellationToken.None);
                Log.TimerFailed(_logger, ex, activation.Key.ActorType, activation.Id.Id, timer.Name);
            }
            finally
            {
                turn.Active = false;
                CurrentTurn.Value = null;
            }

            lock (activation.Timers)
            {
                if (!IsCurrent(activation, timer))
                {
                    return; // unregistered or replaced by its own callback
                }

                if (IsRepeating(timer.Period))
                {
                    timer.Handle!.Change(timer.Period, Timeout.InfiniteTimeSpan);
                }
                else
                {
                    activation.Timers.Remove(timer.Name);
                    timer.Handle!.Dispose();
                }
            }
        }
        finally
        {
            activation.Gate.Release();
        }
    }
}
