using System.Collections.Concurrent;
using System.Text.Json;
using System.Threading.Channels;

namespace Dapr.Profiler.DaprSidecar.Emulator;

/// <summary>A message as stored in the broker: the envelope bytes, or raw bytes when published with rawPayload.</summary>
internal sealed record BusMessage(string PubSub, string Topic, byte[] Data, bool RawPayload, IReadOnlyDictionary<string, string> Metadata, string TraceParent);

/// <summary>A programmatic subscription learned from an app's <c>/dapr/subscribe</c>.</summary>
public sealed record SubscriptionInfo(string AppId, string PubSubName, string Topic, string Route, string? DeadLetterTopic, IReadOnlyDictionary<string, string> Metadata)
{
    /// <summary>Whether the subscription asked for raw payloads.</summary>
    public bool RawPayload => Metadata.TryGetValue("rawPayload", out var value) && GoBool.IsTruthy(value);
}

/// <summary>Outcome of one delivery attempt.</summary>
internal enum DeliveryOutcome
{
    Success,
    Retry,
    Drop,
}

/// <summary>The shared in-memory pub/sub bus: per (pubsub, topic) fan-out, asynchronous serial delivery per subscription,
/// bounded redelivery of RETRY/failures, then the dead-letter topic (or drop).</summary>
internal sealed class PubSubBus : IAsyncDisposable
{
    private readonly SidecarClusterOptions _options;
    private readonly ConcurrentDictionary<(string PubSub, string Topic), ImmutableSubscriptionList> _topics = new();
    private readonly List<SubscriptionWorker> _workers = [];
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _stopping = new();

    public PubSubBus(SidecarClusterOptions options)
    {
        _options = options;
    }

    public bool HasPubSub(string name) => _options.PubSubNames.Contains(name, StringComparer.Ordinal);

    public void Subscribe(SubscriptionInfo subscription, Func<SubscriptionInfo, BusMessage, CancellationToken, Task<DeliveryOutcome>> deliver)
    {
        var worker = new SubscriptionWorker(this, subscription, deliver);
        lock (_gate)
        {
            _workers.Add(worker);
            var key = (subscription.PubSubName, subscription.Topic);
            _topics[key] = _topics.TryGetValue(key, out var existing) ? existing.Add(worker) : new ImmutableSubscriptionList([worker]);
        }

        worker.Start(_stopping.Token);
    }

    public void Publish(BusMessage message)
    {
        if (_topics.TryGetValue((message.PubSub, message.Topic), out var list))
        {
            foreach (var worker in list.Workers)
            {
                worker.Enqueue(message);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        List<SubscriptionWorker> workers;
        lock (_gate)
        {
            workers = [.. _workers];
        }

        foreach (var worker in workers)
        {
            await worker.StopAsync();
        }

        _stopping.Dispose();
    }

    private TimeSpan Backoff(int attempt)
    {
        var delay = _options.InitialRedeliveryDelay * Math.Pow(2, attempt - 1);
        return delay > _options.MaxRedeliveryDelay ? _options.MaxRedeliveryDelay : delay;
    }

    private sealed record ImmutableSubscriptionList(IReadOnlyList<SubscriptionWorker> Workers)
    {
        public ImmutableSubscriptionList Add(SubscriptionWorker worker) => new([.. Workers, worker]);
    }

    private sealed class SubscriptionWorker(
        PubSubBus bus,
        SubscriptionInfo subscription,
        Func<SubscriptionInfo, BusMessage, CancellationToken, Task<DeliveryOutcome>> deliver)
    {
        private readonly Channel<BusMessage> _queue = Channel.CreateUnbounded<BusMessage>(new UnboundedChannelOptions { SingleReader = true });
        private Task _loop = Task.CompletedTask;

        public void Start(CancellationToken stopping) => _loop = Task.Run(() => RunAsync(stopping), CancellationToken.None);

        public void Enqueue(BusMessage message) => _queue.Writer.TryWrite(message);

        public async Task StopAsync()
        {
            _queue.Writer.TryComplete();
            try
            {
                await _loop;
            }
            catch (OperationCanceledException)
            {
                // Stopping.
            }
        }

        private async Task RunAsync(CancellationToken stopping)
        {
            await foreach (var message in _queue.Reader.ReadAllAsync(stopping))
            {
                var outcome = DeliveryOutcome.Retry;
                for (var attempt = 1; attempt <= bus._options.MaxDeliveryAttempts; attempt++)
                {
                    stopping.ThrowIfCancellationRequested();
                    outcome = await DeliverOnceAsync(message, stopping);
                    if (outcome != DeliveryOutcome.Retry)
                    {
                        break;
                    }

                    if (attempt < bus._options.MaxDeliveryAttempts)
                    {
                        await Task.Delay(bus.Backoff(attempt), stopping);
                    }
                }

                if (outcome != DeliveryOutcome.Success && !string.IsNullOrEmpty(subscription.DeadLetterTopic))
                {
                    bus.Publish(message with { Topic = subscription.DeadLetterTopic });
                }
            }
        }

        private async Task<DeliveryOutcome> DeliverOnceAsync(BusMessage message, CancellationToken stopping)
        {
            try
            {
                return await deliver(subscription, message, stopping);
            }
            catch (HttpRequestException)
            {
                return DeliveryOutcome.Retry;
            }
            catch (TaskCanceledException) when (!stopping.IsCancellationRequested)
            {
                return DeliveryOutcome.Retry;
            }
            catch (JsonException)
            {
                return DeliveryOutcome.Drop;
            }
        }
    }
}

/// <summary>Go's <c>strconv.ParseBool</c> and dapr's truthy check.</summary>
internal static class GoBool
{
    public static bool TryParse(string value, out bool result)
    {
        switch (value)
        {
            case "1" or "t" or "T" or "TRUE" or "true" or "True":
                result = true;
                return true;
            case "0" or "f" or "F" or "FALSE" or "false" or "False":
                result = false;
                return true;
            default:
                result = false;
                return false;
        }
    }

    public static bool IsTruthy(string value) =>
        value.Trim().ToLowerInvariant() is "1" or "true" or "t" or "y" or "yes" or "on";
}
