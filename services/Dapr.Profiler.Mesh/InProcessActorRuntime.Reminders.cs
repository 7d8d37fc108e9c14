namespace Dapr.Profiler.Mesh;

public sealed partial class InProcessActorRuntime
{
    /// <summary>Timers cannot wait longer than ~49 days; a later reminder wakes up, sees it is early, and waits again.</summary>
    private static readonly TimeSpan MaxTimerDelay = TimeSpan.FromDays(1);

    private readonly ReminderStore _reminderStore;
    private readonly Dictionary<(string ActorType, string ActorId, string Name), ReminderEntry> _reminders = [];

    /// <summary>Serialises every change of the reminder set together with its write, so the file never goes back in time.</summary>
    private readonly SemaphoreSlim _reminderWrites = new(1, 1);

    /// <summary>Registers or replaces a reminder, durably, then arms it.</summary>
    internal async Task RegisterReminderAsync(ActorKey actor, string name, byte[]? data, TimeSpan dueTime, TimeSpan period)
    {
        ActorNames.Validate(name, nameof(name), "reminder name");
        ValidateSchedule(dueTime, period);
        EnsureRunning();
        var saved = new PersistedReminder(actor.ActorType, actor.Id.Id, name, data?.ToArray(), dueTime, period, _time.GetUtcNow() + dueTime, Guid.NewGuid());
        var entry = new ReminderEntry(saved);
        ReminderEntry? old;
        await _reminderWrites.WaitAsync(CancellationToken.None);
        try
        {
            await _reminderStore.SaveAsync(Snapshot(entry.Key, saved), CancellationToken.None);
            lock (_reminders)
            {
                _reminders.TryGetValue(entry.Key, out old);
                _reminders[entry.Key] = entry;
            }
        }
        finally
        {
            _reminderWrites.Release();
        }

        old?.Timer?.Dispose();
        Arm(entry);
        Log.ReminderRegistered(_logger, actor.ActorType, actor.Id.Id, name, dueTime, period);
    }

    /// <summary>Removes a reminder durably; a missing reminder is not an error.</summary>
    internal async Task UnregisterReminderAsync(ActorKey actor, string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var key = (actor.ActorType, actor.Id.Id, name);
        ReminderEntry? old;
        await _reminderWrites.WaitAsync(CancellationToken.None);
        try
        {
            lock (_reminders)
            {
                if (!_reminders.TryGetValue(key, out old))
                {
                    return;
                }
            }

            await _reminderStore.SaveAsync(Snapshot(key, null), CancellationToken.None);
            lock (_reminders)
            {
                _reminders.Remove(key);
            }
        }
        finally
        {
            _reminderWrites.Release();
        }

        old.Timer?.Dispose();
    }

    /// <summary>The reminders of one actor now (for tests and diagnostics).</summary>
    internal IReadOnlyList<PersistedReminder> RemindersOf(string actorType, ActorId id)
    {
        lock (_reminders)
        {
            return [.. _reminders.Values.Select(e => e.Saved).Where(r => r.ActorType == actorType && r.ActorId == id.Id)];
        }
    }

    private async Task<int> LoadRemindersAsync(CancellationToken cancellationToken)
    {
        var loaded = await _reminderStore.LoadAsync(cancellationToken);
        var entries = loaded.Select(r => new ReminderEntry(r)).ToList();
        lock (_reminders)
        {
            foreach (var entry in entries)
            {
                _reminders[entry.Key] = entry;
            }
        }

        foreach (var entry in entries)
        {
            if (_registry.TryGet(entry.Saved.ActorType, out _))
            {
                Arm(entry);
            }
            else
            {
                // Kept in the file (another build may host the type) but never fired here.
                Log.ReminderOfUnknownType(_logger, entry.Saved.ActorType, entry.Saved.ActorId, entry.Saved.Name);
            }
        }

        return entries.Count;
    }

    /// <summary>Every saved reminder, with the one under <paramref name="key"/> replaced (or removed when null).</summary>
    private List<PersistedReminder> Snapshot((string, string, string) key, PersistedReminder? replacement)
    {
        lock (_reminders)
        {
            var all = _reminders.Where(kv => kv.Key != key).Select(kv => kv.Value.Saved).ToList();
            if (replacement is not null)
            {
                all.Add(replacement);
            }

            return [.. all.OrderBy(r => r.ActorType, StringComparer.Ordinal).ThenBy(r => r.ActorId, StringComparer.Ordinal).ThenBy(r => r.Name, StringComparer.Ordinal)];
        }
    }

    private bool IsCurrent(ReminderEntry entry) =>
        _reminders.TryGetValue(entry.Key, out var current) && ReferenceEquals(current, entry);

    private void Arm(ReminderEntry entry)
    {
        var delay = entry.Saved.NextFireUtc - _time.GetUtcNow();
        delay = delay < TimeSpan.Zero ? TimeSpan.Zero : delay > MaxTimerDelay ? MaxTimerDelay : delay;
        lock (_reminders)
        {
            if (_stopping.IsCancellationRequested || !IsCurrent(entry))
            {
                return;
            }

            entry.Timer?.Dispose();
            entry.Timer = CreateTimer(() => Track(FireReminderAsync(entry)));
            entry.Timer.Change(delay, Timeout.InfiniteTimeSpan);
        }
    }

    private void DisarmReminders()
    {
        lock (_reminders)
        {
            foreach (var entry in _reminders.Values)
            {
                entry.Timer?.Dispose();
            }
        }
    }

    private async Task FireReminderAsync(ReminderEntry entry)
    {
        var saved = entry.Saved;
        lock (_reminders)
        {
            if (_stopping.IsCancellationRequested || !IsCurrent(entry))
            {
                return;
            }
        }

        if (_time.GetUtcNow() < saved.NextFireUtc)
        {
            Arm(entry); // woke up early: the delay was capped
            return;
        }

        if (!_registry.TryGet(saved.ActorType, out var type))
        {
            return;
        }

        try
        {
            await RunTurnAsync(
                type,
                new ActorId(saved.ActorId),
                async (actor, _) =>
                {
                    lock (_reminders)
                    {
                        if (!IsCurrent(entry))
                        {
                            return false; // unregistered or replaced while this firing waited for the turn
                        }
                    }

                    if (actor is not IRemindable remindable)
                    {
                        throw new InvalidOperationException($"actor type {saved.ActorType} has reminders but does not implement {nameof(IRemindable)}");
                    }

                    await remindable.ReceiveReminderAsync(saved.Name, saved.Data, saved.DueTime, saved.Period);
                    return true;
                },
                _stopping.Token);
            Log.ReminderFired(_logger, saved.ActorType, saved.ActorId, saved.Name);
        }
        catch (Exception) when (_stopping.IsCancellationRequested)
        {
            return; // the runtime stops: the reminder stays due and fires at the next start
        }
        catch (Exception ex)
        {
            Log.ReminderFailed(_logger, ex, saved.ActorType, saved.ActorId, saved.Name);
        }

        await AdvanceAsync(entry);
    }

    /// <summary>After a firing: a one-shot reminder is removed, a periodic one moves to its next time and is re-armed.</summary>
    private async Task AdvanceAsync(ReminderEntry entry)
    {
        var saved = entry.Saved;
        await _reminderWrites.WaitAsync(CancellationToken.None);
        try
        {
            lock (_reminders)
            {
                if (!IsCurrent(entry))
                {
                    return; // replaced or removed during the callback: the new registration rules
                }
            }

            PersistedReminder? next = null;
            if (IsRepeating(saved.Period))
            {
                var now = _time.GetUtcNow();
                var nextFire = saved.NextFireUtc + saved.Period;
                if (nextFire <= now)
                {
                    nextFire += saved.Period * (Math.Floor((now - nextFire) / saved.Period) + 1); // skip missed periods
                }

                next = saved with { NextFireUtc = nextFire };
            }

            try
            {
                await _reminderStore.SaveAsync(Snapshot(entry.Key, next), CancellationToken.None);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                Log.ReminderNotSaved(_logger, ex, saved.ActorType, saved.ActorId, saved.Name);
            }

            lock (_reminders)
            {
                if (next is null)
                {
                    _reminders.Remove(entry.Key);
                    entry.Timer?.Dispose();
                    return;
                }

                entry.Saved = next;
            }
        }
        finally
        {
            _reminderWrites.Release();
        }

        Arm(entry);
    }

    private sealed class ReminderEntry(PersistedReminder saved)
    {
        public (string ActorType, string ActorId, string Name) Key { get; } = (saved.ActorType, saved.ActorId, saved.Name);

        public PersistedReminder Saved { get; set; } = saved;

        public ITimer? Timer { get; set; }
    }
}
