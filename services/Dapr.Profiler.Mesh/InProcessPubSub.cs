using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Dapr.Profiler.Mesh;

/// <summary>
/// Pub/sub inside one process with Dapr's delivery rules: events go to the subscription of their topic in order;
/// <see cref="TopicResult.Retry"/> and exceptions are retried with backoff up to a limit, then, like
/// <see cref="TopicResult.Drop"/>, go to the dead-letter topic if one is configured, else are logged and dropped.
/// Events of topics without a subscriber are discarded, as a broker without consumers would keep them unseen.
/// </summary>
public sealed partial class InProcessPubSub(SubscriptionRegistry registry, ILogger<InProcessPubSub> logger) : BackgroundService, IPublisher
{
    private const int MaxAttempts = 5;
    private readonly Channel<(Subscription Target, TopicEvent Event)> _queue =
        Channel.CreateUnbounded<(Subscription, TopicEvent)>(new UnboundedChannelOptions { SingleReader = true });

    /// <summary>Delay before redelivery attempt n (1-based).</summary>
    public Func<int, TimeSpan> RetryDelay { get; set; } = attempt => TimeSpan.FromMilliseconds(100 * Math.Pow(2, attempt - 1));

    public Task PublishAsync(string pubSubName, string topic, ReadOnlyMemory<byte> data, string contentType, CancellationToken cancellationToken)
    {
        var subscription = registry.Subscriptions.FirstOrDefault(s => s.PubSubName == pubSubName && s.Topic == topic);
        if (subscription is null)
        {
            LogNoSubscriber(logger, pubSubName, topic);
            return Task.CompletedTask;
        }

        TopicEvent evt;
        if (CloudEventReader.IsCloudEvent(contentType))
        {
            // As the sidecar does: the body is the CloudEvent; it is delivered with its own attributes.
            try
            {
                evt = CloudEventReader.Parse(data, pubSubName, topic) with { PubSubName = pubSubName, Topic = topic };
            }
            catch (MalformedEventException ex)
            {
                throw new ServiceException(ServiceStatus.InvalidArgument, $"the published CloudEvent is malformed: {ex.Message}");
            }
        }
        else
        {
            evt = new TopicEvent(Guid.NewGuid().ToString(), "in-process", CloudEventReader.DefaultEventType, pubSubName, topic, contentType, data.ToArray());
        }

        if (!_queue.Writer.TryWrite((subscription, evt)))
        {
            throw new ServiceException(ServiceStatus.Unavailable, "the in-process pub/sub is shut down");
        }

        return Task.CompletedTask;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await foreach (var (target, evt) in _queue.Reader.ReadAllAsync(stoppingToken))
        {
            await DeliverAsync(target, evt, stoppingToken);
        }
    }

    private async Task DeliverAsync(Subscription target, TopicEvent evt, CancellationToken stoppingToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            TopicResult result;
            try
            {
                result = await target.Handler(evt, stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                LogHandlerFailed(logger, ex, target.Topic, evt.Id);
                result = TopicResult.Retry;
            }

            if (result == TopicResult.Success)
            {
                return;
            }

            if (result == TopicResult.Retry && attempt < MaxAttempts)
            {
                await Task.Delay(RetryDelay(attempt), stoppingToken);
                continue;
            }

            if (target.DeadLetterTopic is { } deadLetter)
            {
                LogDeadLettered(logger, target.Topic, evt.Id, deadLetter);
                await PublishAsync(target.PubSubName, deadLetter, evt.Data, evt.DataContentType, stoppingToken);
            }
            else
            {
                LogDropped(logger, target.Topic, evt.Id, result);
            }

            return;
        }
    }

    [LoggerMessage(EventId = 1100, Level = LogLevel.Debug, Message = "no subscriber for {PubSub}/{Topic}; event discarded")]
    private static partial void LogNoSubscriber(ILogger logger, string pubSub, string topic);

    [LoggerMessage(EventId = 1101, Level = LogLevel.Warning, Message = "subscriber of {Topic} failed on event {EventId}")]
    private static partial void LogHandlerFailed(ILogger logger, Exception exception, string topic, string eventId);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Warning, Message = "event {EventId} of {Topic} moved to dead-letter topic {DeadLetterTopic}")]
    private static partial void LogDeadLettered(ILogger logger, string topic, string eventId, string deadLetterTopic);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Warning, Message = "event {EventId} of {Topic} dropped ({Result})")]
    private static partial void LogDropped(ILogger logger, string topic, string eventId, TopicResult result);
}
