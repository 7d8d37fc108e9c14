using System.Text.Json;
using Dapr.Profiler.Mesh;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Dapr.Profiler.Dapr;

/// <summary>
/// The app side of Dapr pub/sub: <c>GET /dapr/subscribe</c> lists the registered subscriptions, and each one's route
/// takes the events Dapr delivers (CloudEvents; raw bodies for <c>rawPayload</c> subscriptions) and answers
/// <c>200 {"status": "SUCCESS" | "RETRY" | "DROP"}</c>: a handler exception is RETRY (logged, never a bare 5xx), a
/// malformed envelope DROP.
/// </summary>
public static class DaprSubscriptionEndpoints
{
    public const string SubscribePath = "/dapr/subscribe";
    public const string CloudEventContentType = CloudEventReader.ContentType;
    private const string OctetStream = "application/octet-stream";
    private const string JsonContentType = "application/json";

    /// <summary>
    /// Maps <c>GET /dapr/subscribe</c> and a <c>POST</c> route per subscription. Call it after every subscription is
    /// registered: the routes and the list are both taken from the registry now, so they always agree.
    /// </summary>
    public static IEndpointConventionBuilder MapDaprSubscriptions(this IEndpointRouteBuilder endpoints, SubscriptionRegistry registry, DaprSubscriptionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(registry);
        options ??= new DaprSubscriptionOptions();
        var logger = endpoints.ServiceProvider.GetService<ILoggerFactory>()?.CreateLogger(typeof(DaprSubscriptionEndpoints).FullName!)
            ?? NullLogger.Instance;
        var subscriptions = registry.Subscriptions;
        var list = WriteSubscriptionList(subscriptions, options);
        var routes = new List<IEndpointConventionBuilder>
        {
            endpoints.MapGet(SubscribePath, () => Results.Bytes(list, JsonContentType)),
        };
        foreach (var subscription in subscriptions)
        {
            var raw = options.IsRawPayload(subscription);
            routes.Add(endpoints.MapPost(RoutePath(subscription), (HttpContext context) => DeliverAsync(context, subscription, raw, logger)));
        }

        return new CompositeConventionBuilder(routes);
    }

    /// <summary>The route of a subscription as an absolute path.</summary>
    public static string RoutePath(Subscription subscription)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        return subscription.Route.StartsWith('/') ? subscription.Route : "/" + subscription.Route;
    }

    internal static byte[] WriteSubscriptionList(IEnumerable<Subscription> subscriptions, DaprSubscriptionOptions options)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            foreach (var subscription in subscriptions)
            {
                writer.WriteStartObject();
                writer.WriteString("pubsubname", subscription.PubSubName);
                writer.WriteString("topic", subscription.Topic);
                writer.WriteString("route", RoutePath(subscription));
                if (subscription.DeadLetterTopic is { Length: > 0 } deadLetter)
                {
                    writer.WriteString("deadLetterTopic", deadLetter);
                }

                writer.WriteStartObject("metadata");
                foreach (var (key, value) in options.MetadataOf(subscription))
                {
                    writer.WriteString(key, value);
                }

                writer.WriteEndObject();
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }

        return buffer.ToArray();
    }

    private static async Task DeliverAsync(HttpContext context, Subscription subscription, bool raw, ILogger logger)
    {
        byte[] body;
        using (var buffer = new MemoryStream())
        {
            await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
            body = buffer.ToArray();
        }

        TopicEvent evt;
        try
        {
            evt = ReadEvent(subscription, context.Request.ContentType, body, raw);
        }
        catch (MalformedEventException ex)
        {
            Log.MalformedEvent(logger, subscription.PubSubName, subscription.Topic, ex.Message);
            await WriteStatusAsync(context, TopicResult.Drop);
            return;
        }

        TopicResult result;
        try
        {
            result = await subscription.Handler(evt, context.RequestAborted);
        }
        catch (Exception ex)
        {
            Log.HandlerFailed(logger, ex, subscription.PubSubName, subscription.Topic, evt.Id);
            result = TopicResult.Retry;
        }

        await WriteStatusAsync(context, result);
    }

    /// <summary>Reads what Dapr delivered into the event a handler sees.</summary>
    /// <exception cref="MalformedEventException">The body is neither a CloudEvent nor something the subscription accepts.</exception>
    internal static TopicEvent ReadEvent(Subscription subscription, string? contentType, byte[] body, bool raw)
    {
        var mediaType = CloudEventReader.MediaType(contentType);
        var isCloudEvent = string.Equals(mediaType, CloudEventContentType, StringComparison.OrdinalIgnoreCase);
        var isJson = isCloudEvent || string.Equals(mediaType, JsonContentType, StringComparison.OrdinalIgnoreCase);
        if (!isJson)
        {
            return raw
                ? RawEvent(subscription, string.IsNullOrEmpty(mediaType) ? OctetStream : mediaType, body)
                : throw new MalformedEventException($"content type {contentType ?? "(none)"} is not a CloudEvent");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException ex)
        {
            return raw && !isCloudEvent
                ? RawEvent(subscription, mediaType!, body)
                : throw new MalformedEventException($"the body is not JSON: {ex.Message}");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("specversion", out _))
            {
                return CloudEventReader.Read(root, subscription.PubSubName, subscription.Topic);
            }

            if (isCloudEvent)
            {
                throw new MalformedEventException("the CloudEvent has no specversion");
            }

            // Dapr hands non-CloudEvent JSON to the app as is.
            return raw
                ? RawEvent(subscription, mediaType!, body)
                : new TopicEvent(Guid.NewGuid().ToString(), string.Empty, CloudEventReader.DefaultEventType, subscription.PubSubName, subscription.Topic, JsonContentType, body);
        }
    }

    private static TopicEvent RawEvent(Subscription subscription, string contentType, byte[] body) =>
        new(Guid.NewGuid().ToString(), string.Empty, CloudEventReader.DefaultEventType, subscription.PubSubName, subscription.Topic, contentType, body);

    private static Task WriteStatusAsync(HttpContext context, TopicResult result)
    {
        var status = result switch
        {
            TopicResult.Success => "SUCCESS",
            TopicResult.Drop => "DROP",
            _ => "RETRY",
        };
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = JsonContentType;
        return context.Response.WriteAsync($"{{\"status\":\"{status}\"}}", CancellationToken.None);
    }

    private sealed class CompositeConventionBuilder(List<IEndpointConventionBuilder> builders) : IEndpointConventionBuilder
    {
        public void Add(Action<EndpointBuilder> convention)
        {
            foreach (var builder in builders)
            {
                builder.Add(convention);
            }
        }
    }
}
