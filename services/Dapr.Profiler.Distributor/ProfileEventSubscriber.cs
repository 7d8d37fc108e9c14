using System.Text.Json;
using Dapr.Profiler.Mesh;
using Dapr.Profiler.Model;
using Dapr.Profiler.ServiceDefaults;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PushV1 = Dapr.Profiler.Protos.Push;

namespace Dapr.Profiler.Distributor;

/// <summary>
/// Event-driven ingest: a <c>push.v1.PushRequest</c> published to the <c>profiles</c> topic (binary protobuf in
/// <c>data_base64</c>, or protojson in <c>data</c>) goes through the same tenancy, limits, validation and durability
/// as an HTTP push.
/// </summary>
/// <remarks>
/// <para>
/// Tenancy: the event's tenant is the CloudEvent extension attribute <c>tenant</c>
/// (<see cref="DaprNames.EventAttributes.Tenant"/>; publish a structured CloudEvent to set it). With multitenancy off
/// it is ignored and everything is stored under <c>anonymous</c>, as the HTTP header is; with it on, an event without
/// a valid tenant is never ingested.
/// </para>
/// <para>
/// Answers follow Dapr's rules: SUCCESS only once every profile is durable; RETRY on a transient failure (storage
/// trouble, or the tenant over its ingestion rate: the broker delivers again later). An event that can never be
/// ingested is moved to <c>profiles-deadletter</c> by this subscriber itself, as a structured CloudEvent with the
/// original id, type, source, data and tenant plus the extension attribute <c>deadletterreason</c>, and then
/// answered SUCCESS; only if that publish fails is it answered DROP, so Dapr dead-letters it without a reason.
/// </para>
/// </remarks>
public sealed partial class ProfileEventSubscriber(
    IngestPipeline pipeline,
    IngestRateLimiter limiter,
    IPublisher publisher,
    IOptions<DistributorOptions> options,
    ILogger<ProfileEventSubscriber> logger)
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
        var settings = options.Value;
        if (evt.Data.Length > settings.MaxRequestBodyBytes)
        {
            return await DeadLetterAsync(evt, $"the event data is {evt.Data.Length} bytes; the limit is {settings.MaxRequestBodyBytes} ({DistributorOptions.Key(nameof(DistributorOptions.MaxRequestBodyBytes))})", cancellationToken);
        }

        string tenant;
        try
        {
            tenant = ResolveTenant(evt, settings.MultitenancyEnabled);
        }
        catch (TenantRejectedException ex)
        {
            return await DeadLetterAsync(evt, ex.Message, cancellationToken);
        }

        PushV1.PushRequest request;
        try
        {
            request = evt.DataContentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase)
                ? Json.Parse<PushV1.PushRequest>(System.Text.Encoding.UTF8.GetString(evt.Data.Span))
                : PushV1.PushRequest.Parser.ParseFrom(evt.Data.Span);
        }
        catch (Exception ex) when (ex is InvalidProtocolBufferException or InvalidJsonException or FormatException)
        {
            return await DeadLetterAsync(evt, $"the event data is not a push.v1 PushRequest: {ex.Message}", cancellationToken);
        }

        try
        {
            using var admitted = pipeline.Admit();
            limiter.Acquire(tenant, evt.Data.Length);
            var result = await pipeline.PushAsync(request, tenant, cancellationToken);
            LogIngested(logger, evt.Id, tenant, result.Profiles);
            return TopicResult.Success;
        }
        catch (Exception ex) when (ex is IngestRejectedException { Reason: not RejectionReason.RateLimited } or ProfileException)
        {
            return await DeadLetterAsync(evt, ex.Message, cancellationToken);
        }
        catch (Exception ex) when (ex is IngestRejectedException or ServiceException)
        {
            // Rate and in-flight limits and storage trouble pass: deliver again later.
            LogRetry(logger, ex, evt.Id, ex.Message);
            return TopicResult.Retry;
        }
    }

    /// <summary>The tenant of an event, by the same rules as the <c>X-Scope-OrgID</c> header of an HTTP push.</summary>
    private static string ResolveTenant(TopicEvent evt, bool multitenancyEnabled)
    {
        var attribute = evt.Extension(DaprNames.EventAttributes.Tenant);
        if (multitenancyEnabled && string.IsNullOrEmpty(attribute))
        {
            throw new TenantRejectedException(
                ServiceStatus.Unauthenticated,
                $"no tenant: the CloudEvent attribute '{DaprNames.EventAttributes.Tenant}' is required because multitenancy is enabled ({DistributorOptions.Key(nameof(DistributorOptions.MultitenancyEnabled))})");
        }

        return TenantId.Resolve(attribute, multitenancyEnabled);
    }

    private async Task<TopicResult> DeadLetterAsync(TopicEvent evt, string reason, CancellationToken cancellationToken)
    {
        LogDeadLettered(logger, evt.Id, reason);
        try
        {
            await publisher.PublishAsync(
                DaprNames.Components.PubSub, DaprNames.Topics.ProfilesDeadLetter, DeadLetterEvent(evt, reason), CloudEventReader.ContentType, cancellationToken);
            return TopicResult.Success;
        }
        catch (ServiceException ex)
        {
            LogDeadLetterFailed(logger, ex, evt.Id);
            return TopicResult.Drop;
        }
    }

    /// <summary>The original event as a structured CloudEvent, with the reason it was not ingested.</summary>
    private static byte[] DeadLetterEvent(TopicEvent evt, string reason)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("specversion", "1.0");
            writer.WriteString("id", evt.Id);
            writer.WriteString("source", evt.Source);
            writer.WriteString("type", evt.Type);
            writer.WriteString("datacontenttype", evt.DataContentType);
            writer.WriteBase64String("data_base64", evt.Data.Span);
            if (evt.Extension(DaprNames.EventAttributes.Tenant) is { } tenant)
            {
                writer.WriteString(DaprNames.EventAttributes.Tenant, tenant);
            }

            writer.WriteString(DaprNames.EventAttributes.DeadLetterReason, reason);
            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }

    [LoggerMessage(EventId = 4040, EventName = "Distributor.EventIngested", Level = LogLevel.Debug,
        Message = "event {EventId} ingested for tenant {Tenant}: {Profiles} profiles")]
    private static partial void LogIngested(ILogger logger, string eventId, string tenant, int profiles);

    [LoggerMessage(EventId = 4041, EventName = "Distributor.EventDeadLettered", Level = LogLevel.Warning,
        Message = "event {EventId} moved to the dead-letter topic: {Reason}")]
    private static partial void LogDeadLettered(ILogger logger, string eventId, string reason);

    [LoggerMessage(EventId = 4042, EventName = "Distributor.EventRetry", Level = LogLevel.Warning,
        Message = "event {EventId} will be delivered again: {Reason}")]
    private static partial void LogRetry(ILogger logger, Exception exception, string eventId, string reason);

    [LoggerMessage(EventId = 4043, EventName = "Distributor.DeadLetterFailed", Level = LogLevel.Warning,
        Message = "event {EventId} could not be published to the dead-letter topic; answered DROP")]
    private static partial void LogDeadLetterFailed(ILogger logger, Exception exception, string eventId);
}
