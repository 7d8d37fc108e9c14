namespace Dapr.Profiler.Mesh;

/// <summary>A value that may be absent, as the Dapr SDK's <c>ConditionalValue</c>.</summary>
public readonly record struct ConditionalValue<TValue>(bool HasValue, TValue Value);

/// <summary>
/// The state of one actor, as the Dapr SDK's <c>IActorStateManager</c>. Use it only inside the actor's turns.
/// <para>
/// Changes are kept in the activation and written together by <see cref="SaveStateAsync"/>, which the runtime calls
/// after every successful turn (method, reminder, timer, activation, deactivation); when a turn throws, its unsaved
/// changes are discarded. Values are stored as JSON (System.Text.Json, web defaults: camelCase); protobuf messages
/// are stored as a JSON string holding the base64 of their binary encoding. A read returns a fresh copy: to change a
/// value, set it again.
/// </para>
/// </summary>
public interface IActorStateManager
{
    Task<ConditionalValue<T>> TryGetStateAsync<T>(string stateName, CancellationToken cancellationToken = default);

    /// <exception cref="KeyNotFoundException">There is no such state.</exception>
    Task<T> GetStateAsync<T>(string stateName, CancellationToken cancellationToken = default);

    Task SetStateAsync<T>(string stateName, T value, CancellationToken cancellationToken = default);

    Task<bool> ContainsStateAsync(string stateName, CancellationToken cancellationToken = default);

    /// <exception cref="KeyNotFoundException">There is no such state.</exception>
    Task RemoveStateAsync(string stateName, CancellationToken cancellationToken = default);

    /// <summary>Removes the state if present; returns whether it was.</summary>
    Task<bool> TryRemoveStateAsync(string stateName, CancellationToken cancellationToken = default);

    /// <summary>Writes every change made since the last save, atomically for this actor.</summary>
    Task SaveStateAsync(CancellationToken cancellationToken = default);

    /// <summary>Drops unsaved changes and cached values; the next read goes to the store.</summary>
    Task ClearCacheAsync(CancellationToken cancellationToken = default);
}
