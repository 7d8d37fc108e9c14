using Dapr.Profiler.Mesh;

namespace Dapr.Profiler.Dapr;

/// <summary>
/// Dapr-only settings of subscriptions, by (pubsub, topic): the <c>metadata</c> of their <c>GET /dapr/subscribe</c>
/// entries, e.g. <c>rawPayload: "true"</c> (then the route also accepts a raw, non-CloudEvent body).
/// </summary>
public sealed class DaprSubscriptionOptions
{
    public const string RawPayloadKey = "rawPayload";

    private readonly Dictionary<(string PubSubName, string Topic), IReadOnlyDictionary<string, string>> _metadata = [];

    /// <summary>Sets the metadata of the subscription to (pubsub, topic).</summary>
    public DaprSubscriptionOptions WithMetadata(string pubSubName, string topic, IReadOnlyDictionary<string, string> metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        _metadata[(pubSubName, topic)] = new Dictionary<string, string>(metadata, StringComparer.Ordinal);
        return this;
    }

    /// <summary>Marks the subscription to (pubsub, topic) as <c>rawPayload</c>.</summary>
    public DaprSubscriptionOptions WithRawPayload(string pubSubName, string topic)
    {
        var metadata = new Dictionary<string, string>(MetadataOf(pubSubName, topic), StringComparer.Ordinal) { [RawPayloadKey] = "true" };
        _metadata[(pubSubName, topic)] = metadata;
        return this;
    }

    public IReadOnlyDictionary<string, string> MetadataOf(string pubSubName, string topic) =>
        _metadata.TryGetValue((pubSubName, topic), out var metadata) ? metadata : new Dictionary<string, string>();

    internal IReadOnlyDictionary<string, string> MetadataOf(Subscription subscription) => MetadataOf(subscription.PubSubName, subscription.Topic);

    internal bool IsRawPayload(Subscription subscription) =>
        MetadataOf(subscription).TryGetValue(RawPayloadKey, out var raw) && bool.TryParse(raw, out var isRaw) && isRaw;
}
