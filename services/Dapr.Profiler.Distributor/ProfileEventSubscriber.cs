using Dapr.Profiler.Mesh;
using Dapr.Profiler.Model;
using Dapr.Profiler.ServiceDefaults;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using PushV1 = Dapr.Profiler.Protos.Push;

namespace Dapr.Profiler.Distributor;

/// <summary>
/// Event-driven ingest: a <c>push.v1.PushRequest</c> published to the <c>profiles</c> topic (binary protobuf in
/// <c>data_base64</c>, or protojson in <c>data</c>) goes through the same validation and durability as an HTTP push.
/// The answer follows Dapr's rules: SUCCESS only once every profile is durable, RETRY on a transient failure (the
/// broker delivers again), DROP with the reason logged on input that can never be ingested (it goes to the
/// dead-letter topic).
/// </summary>
public sealed partial class ProfileEventSubscriber(IngestPipeline pipeline, ILogger<ProfileEventSubscriber> logger)
{
    private static readonly JsonParser Json = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(true));

    /// <summary>The subscription: topic <c>profiles</c> on the <c>pubsub</c> component, dead letters to <c>profiles-deadletter</c>.</summary>
    public Subscription Subscription => new(
        DaprNames.Components.PubSub,
        DaprNames.Topics.Profiles,
        "/events/profiles",
        DaprNames.Topics.ProfilesDeadLetter,
        HandleAsync);

    public async Task<TopicResult> HandleAsync(TopicEvent evt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(evt);
        PushV1.PushRequest request;
        try
        {
            request = evt.DataContentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase)
                ? Json.Parse<PushV1.PushRequest>(System.Text.Encoding.UTF8.GetString(evt.Data.Span))
                : PushV1.PushRequest.Parser.ParseFrom(evt.Data.Span);
        }
        catch (Exception ex) when (ex is InvalidProtocolBufferException or InvalidJsonException or FormatException)
        {
            LogDropped(logger, evt.Id, $"the event data is not a push.v1 PushRequest: {ex.Message}");
            return TopicResult.Drop;
        }

        try
        {
            var result = await pipeline.PushAsync(request, TenantId.Anonymous, cancellationToken);
            LogIngested(logger, evt.Id, result.Profiles);
            return TopicResult.Success;
        }
        catch (Exception ex) when (ex is IngestRejectedException { Reason: not RejectionReason.RateLimited } or ProfileException)
        {
            LogDropped(logger, evt.Id, ex.Message);
            return TopicResult.Drop;
        }
        catch (Exception ex) when (ex is IngestRejectedException or ServiceException)
        {
            // Rate limits and storage trouble pass: deliver again later.
            LogRetry(logger, ex, evt.Id);
            return TopicResult.Retry;
        }
    }

    [LoggerMessage(EventId = 4040, EventName = "Distributor.EventIngested", Level = LogLevel.Debug,
        Message = "event {EventId} ingested: {Profiles} profiles")]
    private static partial void LogIngested(ILogger logger, string eventId, int profiles);

    [LoggerMessage(EventId = 4041, EventName = "Distributor.EventDropped", Level = LogLevel.Warning,
        Message = "event {EventId} dropped: {Reason}")]
    private static partial void LogDropped(ILogger logger, string eventId, string reason);

    [LoggerMessage(EventId = 4042, EventName = "Distributor.EventRetry", Level = LogLevel.Warning,
        Message = "event {EventId} will be delivered again")]
    private static partial void LogRetry(ILogger logger, Exception exception, string eventId);
}
