using System.Text.Json;

namespace Dapr.Profiler.DaprSidecar.Emulator;

/// <summary>One actor: its type and id.</summary>
internal readonly record struct ActorKey(string Type, string Id)
{
    public override string ToString() => $"{Type}/{Id}";
}

/// <summary>A reminder or timer of one actor.</summary>
internal readonly record struct ScheduleKey(string Type, string Id, string Name)
{
    public ActorKey Actor => new(Type, Id);
}

internal enum ScheduleKind
{
    Reminder,
    Timer,
}

/// <summary>What a delivery attempt of a reminder or timer came to.</summary>
internal enum FireOutcome
{
    /// <summary>Delivered (200): advance to the next occurrence, or remove a one-shot.</summary>
    Delivered,

    /// <summary>Delivered and the app answered <c>X-DaprReminderCancel: true</c>: remove.</summary>
    Cancelled,

    /// <summary>Not delivered, try the same occurrence again later (reminders).</summary>
    Retry,

    /// <summary>Not delivered, go on with the next occurrence (timers are not retried).</summary>
    Skipped,
}

/// <summary>
/// A registered reminder or timer: the registration as given (original <c>dueTime</c>/<c>period</c>/<c>ttl</c> strings and the
/// raw JSON <c>data</c>) and its schedule. The schedule fields change only under the lock of the <see cref="ScheduleBook"/> holding it.
/// </summary>
internal sealed class ScheduledCall
{
    public required ScheduleKind Kind { get; init; }

    public required ScheduleKey Key { get; init; }

    public required string DueTime { get; init; }

    public required string Period { get; init; }

    public required string Ttl { get; init; }

    /// <summary>Timers: the <c>callback</c> field.</summary>
    public string? Callback { get; init; }

    /// <summary>The raw JSON of <c>data</c>; null when the registration had none.</summary>
    public string? Data { get; init; }

    /// <summary>Zero: fire once.</summary>
    public required TimeSpan Interval { get; init; }

    public DateTimeOffset? Expires { get; init; }

    /// <summary>Timers: the sidecar they were created on (they end with it).</summary>
    public Sidecar? Owner { get; init; }

    /// <summary>The current occurrence.</summary>
    public DateTimeOffset Due { get; set; }

    /// <summary>When to try the current occurrence (later than <see cref="Due"/> after a failed attempt).</summary>
    public DateTimeOffset NextAttempt { get; set; }

    /// <summary>Occurrences left (from <c>Rn/</c>), or null for unbounded.</summary>
    public int? Remaining { get; set; }

    public bool InFlight { get; set; }

    /// <summary>
    /// Reads a create request body <c>{"dueTime","period","ttl","data","callback"}</c>. Returns null with a message in
    /// <paramref name="error"/> when a time does not parse or the ttl has already passed.
    /// </summary>
    public static ScheduledCall? Create(ScheduleKind kind, ScheduleKey key, RegistrationBody body, DateTimeOffset now, Sidecar? owner, out string error)
    {
        error = string.Empty;
        if (!DaprTime.TryParseDueTime(body.DueTime, now, out var due))
        {
            error = $"invalid dueTime: {body.DueTime}";
            return null;
        }

        if (!DaprTime.TryParsePeriod(body.Period, out var interval, out var repetitions))
        {
            error = $"invalid period: {body.Period}";
            return null;
        }

        if (!DaprTime.TryParseTtl(body.Ttl, due, out var expires))
        {
            error = $"invalid ttl: {body.Ttl}";
            return null;
        }

        if (expires is { } at && at <= now)
        {
            error = $"ttl {body.Ttl} has already expired";
            return null;
        }

        return new ScheduledCall
        {
            Kind = kind,
            Key = key,
            DueTime = body.DueTime,
            Period = body.Period,
            Ttl = body.Ttl,
            Callback = body.Callback,
            Data = body.Data,
            Interval = interval,
            Expires = expires,
            Owner = owner,
            Due = due,
            NextAttempt = due,
            Remaining = interval > TimeSpan.Zero ? repetitions : null,
        };
    }

    /// <summary>The body of the callback to the app: <c>{"data","dueTime","period"}</c> (reminders) or <c>{"data","callback","dueTime","period"}</c> (timers); <c>data</c> omitted when there is none.</summary>
    public byte[] CallbackBody()
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            if (Data is not null)
            {
                writer.WritePropertyName("data");
                writer.WriteRawValue(Data, skipInputValidation: true);
            }

            if (Kind == ScheduleKind.Timer)
            {
                writer.WriteString("callback", Callback ?? string.Empty);
            }

            writer.WriteString("dueTime", DueTime);
            writer.WriteString("period", Period);
            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }
}

/// <summary>The fields of a reminder or timer create request.</summary>
internal sealed record RegistrationBody(string DueTime, string Period, string Ttl, string? Data, string? Callback, bool Overwrite)
{
    /// <summary>Reads the request body; null when it is not a JSON object or a field has the wrong JSON type.</summary>
    public static RegistrationBody? Parse(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        string? Text(string name, out bool valid)
        {
            valid = true;
            if (!root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
            {
                return null;
            }

            valid = value.ValueKind == JsonValueKind.String;
            return valid ? value.GetString() : null;
        }

        var dueTime = Text("dueTime", out var v1);
        var period = Text("period", out var v2);
        var ttl = Text("ttl", out var v3);
        var callback = Text("callback", out var v4);
        var overwrite = true;
        if (root.TryGetProperty("overwrite", out var o) && o.ValueKind != JsonValueKind.Null)
        {
            if (o.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            {
                return null;
            }

            overwrite = o.GetBoolean();
        }

        if (!(v1 && v2 && v3 && v4))
        {
            return null;
        }

        var data = root.TryGetProperty("data", out var d) ? d.GetRawText() : null;
        return new RegistrationBody(dueTime ?? string.Empty, period ?? string.Empty, ttl ?? string.Empty, data, callback, overwrite);
    }
}

/// <summary>A set of reminders or timers with their schedules; reports every change to <c>changed</c> (outside its lock).</summary>
internal sealed class ScheduleBook(Action changed)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<ScheduleKey, ScheduledCall> _calls = [];

    public ScheduledCall? Get(ScheduleKey key)
    {
        lock (_gate)
        {
            return _calls.GetValueOrDefault(key);
        }
    }

    /// <summary>Adds <paramref name="call"/>, replacing one of the same name when <paramref name="overwrite"/>; false if it exists and may not be replaced.</summary>
    public bool Add(ScheduledCall call, bool overwrite)
    {
        lock (_gate)
        {
            if (!overwrite && _calls.ContainsKey(call.Key))
            {
                return false;
            }

            _calls[call.Key] = call;
        }

        changed();
        return true;
    }

    public bool Remove(ScheduleKey key)
    {
        bool removed;
        lock (_gate)
        {
            removed = _calls.Remove(key);
        }

        if (removed)
        {
            changed();
        }

        return removed;
    }

    public int RemoveWhere(Func<ScheduledCall, bool> predicate)
    {
        int count;
        lock (_gate)
        {
            var keys = _calls.Where(p => predicate(p.Value)).Select(p => p.Key).ToList();
            keys.ForEach(k => _calls.Remove(k));
            count = keys.Count;
        }

        if (count > 0)
        {
            changed();
        }

        return count;
    }

    public IReadOnlyList<ScheduledCall> Snapshot()
    {
        lock (_gate)
        {
            return [.. _calls.Values];
        }
    }

    /// <summary>Marks the calls due at <paramref name="now"/> in flight and adds them to <paramref name="due"/> (expired ones are removed); returns the earliest next attempt of the rest.</summary>
    public DateTimeOffset? TakeDue(DateTimeOffset now, List<(ScheduleBook Book, ScheduledCall Call)> due)
    {
        DateTimeOffset? next = null;
        var expired = false;
        lock (_gate)
        {
            foreach (var (key, call) in _calls.ToList())
            {
                if (call.InFlight)
                {
                    continue;
                }

                if (call.Expires is { } expires && expires < now)
                {
                    _calls.Remove(key);
                    expired = true;
                }
                else if (call.NextAttempt <= now)
                {
                    call.InFlight = true;
                    due.Add((this, call));
                }
                else if (next is null || call.NextAttempt < next)
                {
                    next = call.NextAttempt;
                }
            }
        }

        if (expired)
        {
            changed();
        }

        return next;
    }

    /// <summary>Applies the outcome of an attempt, unless the call was removed or replaced meanwhile.</summary>
    public void Complete(ScheduledCall call, FireOutcome outcome, DateTimeOffset now, TimeSpan retryDelay)
    {
        lock (_gate)
        {
            call.InFlight = false;
            if (!_calls.TryGetValue(call.Key, out var current) || !ReferenceEquals(current, call))
            {
                return;
            }

            switch (outcome)
            {
                case FireOutcome.Retry:
                    call.NextAttempt = now + retryDelay;
                    break;
                case FireOutcome.Cancelled:
                    _calls.Remove(call.Key);
                    break;
                default:
                    if (call.Interval <= TimeSpan.Zero || (call.Remaining is { } left && left <= 1))
                    {
                        _calls.Remove(call.Key);
                        break;
                    }

                    call.Remaining--;
                    var next = call.Due + call.Interval;
                    if (next <= now)
                    {
                        // Missed occurrences (app down, slow turn) are not made up in a burst.
                        var missed = (long)((now - next) / call.Interval) + 1;
                        next += call.Interval * missed;
                    }

                    if (call.Expires is { } expires && next > expires)
                    {
                        _calls.Remove(call.Key);
                        break;
                    }

                    call.Due = next;
                    call.NextAttempt = next;
                    break;
            }
        }

        changed();
    }

    /// <summary>Writes the reminders as a JSON array (for the state file).</summary>
    public void WriteTo(Utf8JsonWriter writer)
    {
        lock (_gate)
        {
            writer.WriteStartArray();
            foreach (var call in _calls.Values)
            {
                writer.WriteStartObject();
                writer.WriteString("actorType", call.Key.Type);
                writer.WriteString("actorId", call.Key.Id);
                writer.WriteString("name", call.Key.Name);
                writer.WriteString("dueTime", call.DueTime);
                writer.WriteString("period", call.Period);
                writer.WriteString("ttl", call.Ttl);
                if (call.Data is not null)
                {
                    writer.WritePropertyName("data");
                    writer.WriteRawValue(call.Data, skipInputValidation: true);
                }

                writer.WriteString("due", call.Due);
                if (call.Expires is { } expires)
                {
                    writer.WriteString("expires", expires);
                }

                if (call.Remaining is { } remaining)
                {
                    writer.WriteNumber("remaining", remaining);
                }

                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }
    }

    /// <summary>Reads reminders written by <see cref="WriteTo"/> (entries that do not parse are skipped).</summary>
    public void Load(JsonElement array)
    {
        lock (_gate)
        {
            foreach (var item in array.EnumerateArray().Where(i => i.ValueKind == JsonValueKind.Object))
            {
                if (!TryString(item, "actorType", out var type) || !TryString(item, "actorId", out var id) || !TryString(item, "name", out var name)
                    || !TryString(item, "dueTime", out var dueTime) || !TryString(item, "period", out var period) || !TryString(item, "ttl", out var ttl)
                    || !item.TryGetProperty("due", out var dueElement) || !dueElement.TryGetDateTimeOffset(out var due)
                    || !DaprTime.TryParsePeriod(period, out var interval, out _))
                {
                    continue;
                }

                var key = new ScheduleKey(type, id, name);
                _calls[key] = new ScheduledCall
                {
                    Kind = ScheduleKind.Reminder,
                    Key = key,
                    DueTime = dueTime,
                    Period = period,
                    Ttl = ttl,
                    Data = item.TryGetProperty("data", out var data) ? data.GetRawText() : null,
                    Interval = interval,
                    Expires = item.TryGetProperty("expires", out var e) && e.TryGetDateTimeOffset(out var expires) ? expires : null,
                    Due = due,
                    NextAttempt = due,
                    Remaining = item.TryGetProperty("remaining", out var r) && r.TryGetInt32(out var remaining) ? remaining : null,
                };
            }
        }
    }

    private static bool TryString(JsonElement item, string name, out string value)
    {
        value = item.TryGetProperty(name, out var element) && element.ValueKind == JsonValueKind.String ? element.GetString()! : string.Empty;
        return element.ValueKind == JsonValueKind.String;
    }
}
