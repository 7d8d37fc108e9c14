namespace Dapr.Profiler.Mesh;

/// <summary>How a subscriber answers an event, as Dapr's <c>{"status": ...}</c> reply.</summary>
public enum TopicResult
{
    /// <summary>Processed; do not deliver again.</summary>
    Success,

    /// <summary>Failed for now; deliver again later.</summary>
    Retry,

    /// <summary>Never processable; drop it (to the dead-letter topic when one is configured).</summary>
    Drop,
}

/// <summary>An event as a subscriber sees it: the CloudEvent attributes and the data bytes.</summary>
public sealed record TopicEvent(
    string Id,
    string Source,
    string Type,
    string PubSubName,
    string Topic,
    string DataContentType,
    ReadOnlyMemory<byte> Data)
{
    /// <summary>The CloudEvent's extension attributes (string forms), e.g. <see cref="DaprNames.EventAttributes.Tenant"/>.</summary>
    public IReadOnlyDictionary<string, string>? Extensions { get; init; }

    /// <summary>An extension attribute's value, or null.</summary>
    public string? Extension(string name) => Extensions is { } e && e.TryGetValue(name, out var value) ? value : null;
}

/// <summary>
/// Publishes events. Dapr: <c>POST /v1.0/publish/{pubsub}/{topic}</c>, with the content type kept as the
/// CloudEvent's <c>datacontenttype</c>; a body of type <c>application/cloudevents+json</c> is the CloudEvent itself
/// (its extension attributes reach the subscriber). In process: a queue per subscription, delivered in order.
/// </summary>
public interface IPublisher
{
    /// <exception cref="ServiceException">The event could not be published.</exception>
    Task PublishAsync(string pubSubName, string topic, ReadOnlyMemory<byte> data, string contentType, CancellationToken cancellationToken);
}

/// <summary>A subscription registered in code; under Dapr it becomes an entry of <c>GET /dapr/subscribe</c>.</summary>
public sealed record Subscription(
    string PubSubName,
    string Topic,
    string Route,
    string? DeadLetterTopic,
    Func<TopicEvent, CancellationToken, Task<TopicResult>> Handler);

/// <summary>The subscriptions of the services hosted in this process.</summary>
public sealed class SubscriptionRegistry
{
    private readonly List<Subscription> _subscriptions = [];

    public IReadOnlyList<Subscription> Subscriptions
    {
        get
        {
            lock (_subscriptions)
            {
                return [.. _subscriptions];
            }
        }
    }

    public void Subscribe(Subscription subscription)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        lock (_subscriptions)
        {
            if (_subscriptions.Any(s => s.PubSubName == subscription.PubSubName && s.Topic == subscription.Topic))
            {
                throw new InvalidOperationException($"topic {subscription.PubSubName}/{subscription.Topic} has two subscriptions in this process");
            }

            _subscriptions.Add(subscription);
        }
    }
}
