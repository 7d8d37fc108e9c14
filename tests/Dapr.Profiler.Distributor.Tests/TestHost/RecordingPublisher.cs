using System.Collections.Concurrent;
using Dapr.Profiler.Mesh;

namespace Dapr.Profiler.Distributor.Tests;

/// <summary>Records what is published, read back as the CloudEvents a subscriber would receive; can be made to fail.</summary>
internal sealed class RecordingPublisher : IPublisher
{
    public ConcurrentQueue<TopicEvent> Published { get; } = new();

    public Exception? Failure { get; set; }

    public Task PublishAsync(string pubSubName, string topic, ReadOnlyMemory<byte> data, string contentType, CancellationToken cancellationToken)
    {
        if (Failure is { } failure)
        {
            throw failure;
        }

        Published.Enqueue(CloudEventReader.IsCloudEvent(contentType)
            ? CloudEventReader.Parse(data, pubSubName, topic) with { PubSubName = pubSubName, Topic = topic }
            : new TopicEvent(Guid.NewGuid().ToString(), "test", CloudEventReader.DefaultEventType, pubSubName, topic, contentType, data.ToArray()));
        return Task.CompletedTask;
    }
}
