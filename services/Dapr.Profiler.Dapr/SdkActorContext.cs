using System.Text.Json;
using Dapr.Profiler.Mesh;
using Google.Protobuf;
using SdkStateManager = Dapr.Actors.Runtime.IActorStateManager;

namespace Dapr.Profiler.Dapr;

/// <summary>
/// A mesh actor's runtime services backed by the Dapr SDK: state through the SDK's state manager (the sidecar's
/// actor state store, saved after every turn), reminders through the SDK (durable in the sidecar). Values are
/// stored as bytes: protobuf messages in their binary encoding, anything else as JSON. Timers are not offered:
/// mesh actors use reminders, which survive restarts.
/// </summary>
internal sealed class SdkActorContext(MeshActorBridge bridge) : IActorContext
{
    public IActorStateManager StateManager { get; } = new SdkActorStateManager(bridge.SdkStateManager);

    public Task RegisterReminderAsync(string reminderName, byte[]? state, TimeSpan dueTime, TimeSpan period) =>
        bridge.SdkRegisterReminderAsync(reminderName, state, dueTime, period == TimeSpan.Zero ? Timeout.InfiniteTimeSpan : period);

    public Task UnregisterReminderAsync(string reminderName) => bridge.SdkUnregisterReminderAsync(reminderName);

    public Task RegisterTimerAsync(string timerName, Func<byte[]?, Task> callback, byte[]? state, TimeSpan dueTime, TimeSpan period) =>
        throw new NotSupportedException("actor timers are not offered under Dapr; use a reminder");

    public Task UnregisterTimerAsync(string timerName) => Task.CompletedTask;

    private sealed class SdkActorStateManager(SdkStateManager state) : IActorStateManager
    {
        private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

        public async Task<ConditionalValue<T>> TryGetStateAsync<T>(string stateName, CancellationToken cancellationToken = default)
        {
            var stored = await state.TryGetStateAsync<byte[]>(stateName, cancellationToken);
            return stored.HasValue ? new ConditionalValue<T>(true, Decode<T>(stored.Value)) : new ConditionalValue<T>(false, default!);
        }

        public async Task<T> GetStateAsync<T>(string stateName, CancellationToken cancellationToken = default)
        {
            var stored = await TryGetStateAsync<T>(stateName, cancellationToken);
            return stored.HasValue ? stored.Value : throw new KeyNotFoundException($"actor state {stateName} does not exist");
        }

        public Task SetStateAsync<T>(string stateName, T value, CancellationToken cancellationToken = default) =>
            state.SetStateAsync(stateName, Encode(value), cancellationToken);

        public Task<bool> ContainsStateAsync(string stateName, CancellationToken cancellationToken = default) =>
            state.ContainsStateAsync(stateName, cancellationToken);

        public async Task RemoveStateAsync(string stateName, CancellationToken cancellationToken = default)
        {
            if (!await state.TryRemoveStateAsync(stateName, cancellationToken))
            {
                throw new KeyNotFoundException($"actor state {stateName} does not exist");
            }
        }

        public Task<bool> TryRemoveStateAsync(string stateName, CancellationToken cancellationToken = default) =>
            state.TryRemoveStateAsync(stateName, cancellationToken);

        public Task SaveStateAsync(CancellationToken cancellationToken = default) => state.SaveStateAsync(cancellationToken);

        public Task ClearCacheAsync(CancellationToken cancellationToken = default) => state.ClearCacheAsync(cancellationToken);

        private static byte[] Encode<T>(T value) => value is IMessage message
            ? message.ToByteArray()
            : JsonSerializer.SerializeToUtf8Bytes(value, Json);

        private static T Decode<T>(byte[] bytes)
        {
            if (typeof(IMessage).IsAssignableFrom(typeof(T)) && !typeof(T).IsInterface && !typeof(T).IsAbstract)
            {
                var message = (IMessage)Activator.CreateInstance<T>()!;
                message.MergeFrom(bytes);
                return (T)message;
            }

            return JsonSerializer.Deserialize<T>(bytes, Json)!;
        }
    }
}
