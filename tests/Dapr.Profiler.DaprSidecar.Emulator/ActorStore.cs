using System.Text.Json;

namespace Dapr.Profiler.DaprSidecar.Emulator;

/// <summary>A stored actor state value: the raw JSON of <c>value</c> and its expiry (<c>metadata.ttlInSeconds</c>).</summary>
internal sealed record StoredValue(byte[] Json, DateTimeOffset? Expires);

/// <summary>One operation of an actor state transaction.</summary>
internal sealed record StateOperation(bool Upsert, string Key, byte[]? Value, DateTimeOffset? Expires);

/// <summary>
/// The cluster's actor state and reminders, keyed by actor type and id (not by the host's app-id as daprd's
/// <c>appId||type||id||key</c> is, so state follows an actor when its placement moves between app-ids). Lives as
/// long as the cluster; with a directory it is also written to <c>actors.json</c> there after every change (atomically,
/// via a temporary file) and read back when a cluster starts on the same directory.
/// </summary>
internal sealed class ActorStore
{
    private const string FileName = "actors.json";

    private readonly Lock _gate = new();
    private readonly Lock _saveGate = new();
    private readonly Dictionary<ActorKey, Dictionary<string, StoredValue>> _state = [];
    private readonly string? _file;

    public ActorStore(string? directory, Action remindersChanged)
    {
        Reminders = new ScheduleBook(() =>
        {
            Save();
            remindersChanged();
        });
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
            _file = Path.Join(directory, FileName);
            Load();
        }
    }

    /// <summary>The reminders (durable).</summary>
    public ScheduleBook Reminders { get; }

    public StoredValue? GetState(ActorKey actor, string key, DateTimeOffset now)
    {
        lock (_gate)
        {
            if (!_state.TryGetValue(actor, out var values) || !values.TryGetValue(key, out var value))
            {
                return null;
            }

            return value.Expires is { } expires && expires <= now ? null : value;
        }
    }

    /// <summary>Applies all of <paramref name="operations"/> at once.</summary>
    public void Apply(ActorKey actor, IReadOnlyList<StateOperation> operations)
    {
        lock (_gate)
        {
            if (!_state.TryGetValue(actor, out var values))
            {
                values = new Dictionary<string, StoredValue>(StringComparer.Ordinal);
                _state[actor] = values;
            }

            foreach (var operation in operations)
            {
                if (operation.Upsert)
                {
                    values[operation.Key] = new StoredValue(operation.Value ?? "null"u8.ToArray(), operation.Expires);
                }
                else
                {
                    values.Remove(operation.Key);
                }
            }

            if (values.Count == 0)
            {
                _state.Remove(actor);
            }
        }

        Save();
    }

    private void Save()
    {
        if (_file is null)
        {
            return;
        }

        lock (_saveGate)
        {
            using var buffer = new MemoryStream();
            using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
            {
                writer.WriteStartObject();
                writer.WritePropertyName("state");
                writer.WriteStartArray();
                lock (_gate)
                {
                    foreach (var ((type, id), values) in _state)
                    {
                        foreach (var (key, value) in values)
                        {
                            writer.WriteStartObject();
                            writer.WriteString("actorType", type);
                            writer.WriteString("actorId", id);
                            writer.WriteString("key", key);
                            writer.WritePropertyName("value");
                            writer.WriteRawValue(value.Json, skipInputValidation: true);
                            if (value.Expires is { } expires)
                            {
                                writer.WriteString("expires", expires);
                            }

                            writer.WriteEndObject();
                        }
                    }
                }

                writer.WriteEndArray();
                writer.WritePropertyName("reminders");
                Reminders.WriteTo(writer);
                writer.WriteEndObject();
            }

            var temporary = _file + ".tmp";
            File.WriteAllBytes(temporary, buffer.ToArray());
            File.Move(temporary, _file, overwrite: true);
        }
    }

    private void Load()
    {
        if (_file is null || !File.Exists(_file))
        {
            return;
        }

        using var document = JsonDocument.Parse(File.ReadAllBytes(_file));
        var root = document.RootElement;
        if (root.TryGetProperty("state", out var state) && state.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in state.EnumerateArray().Where(i => i.ValueKind == JsonValueKind.Object))
            {
                if (item.TryGetProperty("actorType", out var type) && type.ValueKind == JsonValueKind.String
                    && item.TryGetProperty("actorId", out var id) && id.ValueKind == JsonValueKind.String
                    && item.TryGetProperty("key", out var key) && key.ValueKind == JsonValueKind.String
                    && item.TryGetProperty("value", out var value))
                {
                    DateTimeOffset? expires = item.TryGetProperty("expires", out var e) && e.TryGetDateTimeOffset(out var at) ? at : null;
                    var actor = new ActorKey(type.GetString()!, id.GetString()!);
                    if (!_state.TryGetValue(actor, out var values))
                    {
                        values = new Dictionary<string, StoredValue>(StringComparer.Ordinal);
                        _state[actor] = values;
                    }

                    values[key.GetString()!] = new StoredValue(System.Text.Encoding.UTF8.GetBytes(value.GetRawText()), expires);
                }
            }
        }

        if (root.TryGetProperty("reminders", out var reminders) && reminders.ValueKind == JsonValueKind.Array)
        {
            Reminders.Load(reminders);
        }
    }
}
