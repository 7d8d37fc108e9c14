using System.Text.Json;
using Google.Protobuf;

namespace Dapr.Profiler.Mesh;

/// <summary>
/// The state manager of one activation: a cache of raw JSON values read from the store, plus the changes not yet
/// saved. Values are serialised when set, so later changes to the object are not saved by accident.
/// </summary>
internal sealed class ActorStateManager(IActorStateStore store, string actorType, ActorId id) : IActorStateManager
{
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    /// <summary>Per key: the current raw JSON (null when absent) and whether it differs from the store.</summary>
    private readonly Dictionary<string, (byte[]? Json, bool Dirty)> _entries = new(StringComparer.Ordinal);

    public async Task<ConditionalValue<T>> TryGetStateAsync<T>(string stateName, CancellationToken cancellationToken = default)
    {
        var json = await GetJsonAsync(stateName, cancellationToken);
        return json is null ? new ConditionalValue<T>(false, default!) : new ConditionalValue<T>(true, Deserialize<T>(json));
    }

    public async Task<T> GetStateAsync<T>(string stateName, CancellationToken cancellationToken = default)
    {
        var value = await TryGetStateAsync<T>(stateName, cancellationToken);
        return value.HasValue ? value.Value : throw new KeyNotFoundException($"actor {actorType}/{id} has no state {stateName}");
    }

    public Task SetStateAsync<T>(string stateName, T value, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(stateName);
        _entries[stateName] = (Serialize(value), true);
        return Task.CompletedTask;
    }

    public async Task<bool> ContainsStateAsync(string stateName, CancellationToken cancellationToken = default) =>
        await GetJsonAsync(stateName, cancellationToken) is not null;

    public async Task RemoveStateAsync(string stateName, CancellationToken cancellationToken = default)
    {
        if (!await TryRemoveStateAsync(stateName, cancellationToken))
        {
            throw new KeyNotFoundException($"actor {actorType}/{id} has no state {stateName}");
        }
    }

    public async Task<bool> TryRemoveStateAsync(string stateName, CancellationToken cancellationToken = default)
    {
        if (await GetJsonAsync(stateName, cancellationToken) is null)
        {
            return false;
        }

        _entries[stateName] = (null, true);
        return true;
    }

    public async Task SaveStateAsync(CancellationToken cancellationToken = default)
    {
        var changes = _entries.Where(e => e.Value.Dirty).Select(e => new ActorStateChange(e.Key, e.Value.Json)).ToList();
        if (changes.Count == 0)
        {
            return;
        }

        await store.SaveAsync(actorType, id, changes, cancellationToken);
        foreach (var change in changes)
        {
            _entries[change.Key] = (change.Value, false);
        }
    }

    public Task ClearCacheAsync(CancellationToken cancellationToken = default)
    {
        _entries.Clear();
        return Task.CompletedTask;
    }

    private async Task<byte[]?> GetJsonAsync(string stateName, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(stateName);
        if (_entries.TryGetValue(stateName, out var entry))
        {
            return entry.Json;
        }

        var json = await store.GetAsync(actorType, id, stateName, cancellationToken);
        _entries[stateName] = (json, false);
        return json;
    }

    private static byte[] Serialize<T>(T value) => value is IMessage message
        ? JsonSerializer.SerializeToUtf8Bytes(message.ToByteArray(), JsonOptions)
        : JsonSerializer.SerializeToUtf8Bytes(value, JsonOptions);

    private static T Deserialize<T>(byte[] json)
    {
        if (typeof(IMessage).IsAssignableFrom(typeof(T)) && !typeof(T).IsInterface && !typeof(T).IsAbstract)
        {
            var message = (IMessage)Activator.CreateInstance<T>()!;
            message.MergeFrom(JsonSerializer.Deserialize<byte[]>(json, JsonOptions) ?? []);
            return (T)message;
        }

        return JsonSerializer.Deserialize<T>(json, JsonOptions)!;
    }
}
