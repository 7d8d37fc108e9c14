using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Dapr.Profiler.DaprSidecar.Emulator;

/// <summary>One emulated daprd: its HTTP API port, its app channel and its startup sequence.</summary>
public sealed partial class Sidecar : IAsyncDisposable
{
    private const string ApiTokenHeader = "dapr-api-token";

    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "TE", "Trailer", "Transfer-Encoding", "Upgrade", "Proxy-Connection",
        "Proxy-Authenticate", "Proxy-Authorization", "Host",
    };

    private readonly SidecarCluster _cluster;
    private readonly SidecarApp _app;
    private readonly TaskCompletionSource _appChannelReady = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<SubscriptionInfo> _subscriptions = [];
    private readonly Lock _gate = new();
    private WebApplication? _host;
    private Task _startup = Task.CompletedTask;

    internal Sidecar(SidecarCluster cluster, SidecarApp app)
    {
        _cluster = cluster;
        _app = app;
    }

    /// <summary>The app id.</summary>
    public string AppId => _app.AppId;

    /// <summary>The sidecar's HTTP API port (DAPR_HTTP_PORT for the app).</summary>
    public int HttpPort { get; private set; }

    /// <summary><c>http://127.0.0.1:HttpPort</c>.</summary>
    public Uri BaseAddress => new($"http://127.0.0.1:{HttpPort}");

    /// <summary>
    /// <c>http://127.0.0.1:HttpPort</c> without a trailing slash: the value for <c>DAPR_HTTP_ENDPOINT</c> and the Dapr .NET
    /// SDK's <c>HttpEndpoint</c> options (the SDK appends <c>/v1.0/…</c> to it, so <c>BaseAddress.ToString()</c> would double the slash).
    /// </summary>
    public string HttpEndpoint => $"http://127.0.0.1:{HttpPort}";

    /// <summary>Completes when the app channel is up and <c>/dapr/subscribe</c> was read (healthz = 204); faults on the startup deadline.</summary>
    public Task AppChannelReady => _appChannelReady.Task;

    /// <summary>Subscriptions learned from the app.</summary>
    public IReadOnlyList<SubscriptionInfo> Subscriptions
    {
        get
        {
            lock (_gate)
            {
                return [.. _subscriptions];
            }
        }
    }

    internal SidecarApp App => _app;

    internal Task StartAsync(CancellationToken cancellationToken) => StartAsync(0, cancellationToken);

    /// <summary>Starts the HTTP API on <paramref name="port"/> (0: a free one).</summary>
    internal async Task StartAsync(int port, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = typeof(Sidecar).Assembly.GetName().Name });
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, port);
            kestrel.Limits.MaxRequestBodySize = _cluster.Options.MaxRequestBodySize;
            kestrel.AddServerHeader = false;
        });
        var host = builder.Build();
        host.Run(HandleAsync);
        await host.StartAsync(cancellationToken);
        _host = host;
        var address = host.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        HttpPort = new Uri(address).Port;
    }

    internal void BeginAppChannel() => _startup = Task.Run(() => RunStartupAsync(_stopping.Token), CancellationToken.None);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        _cluster.Actors.RemoveHost(this);
        await _stopping.CancelAsync();
        try
        {
            await _startup;
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }

        await StopProbingAsync();

        if (_host is not null)
        {
            await _host.StopAsync(CancellationToken.None);
            await _host.DisposeAsync();
        }

        _stopping.Dispose();
    }

    // ---- Startup: wait for the app port, then /dapr/config, then /dapr/subscribe (reference §1). ----
    private async Task RunStartupAsync(CancellationToken stopping)
    {
        try
        {
            if (_app.AppPort is { } port)
            {
                await WaitForPortAsync(port, stopping);
                await ReadConfigAsync(stopping);
                await ReadSubscriptionsAsync(stopping);
            }

            _appChannelReady.TrySetResult();
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            _appChannelReady.TrySetCanceled(stopping);
        }
        catch (Exception e) when (e is TimeoutException or HttpRequestException or IOException)
        {
            _appChannelReady.TrySetException(e);
        }
    }

    private async Task WaitForPortAsync(int port, CancellationToken stopping)
    {
        var deadline = DateTime.UtcNow + _cluster.Options.AppStartupTimeout;
        while (true)
        {
            using var client = new TcpClient();
            try
            {
                await client.ConnectAsync(IPAddress.Loopback, port, stopping);
                return;
            }
            catch (SocketException)
            {
                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"app '{AppId}' did not listen on port {port} within {_cluster.Options.AppStartupTimeout}");
                }
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50), stopping);
        }
    }

    /// <summary>Reads <c>/dapr/config</c> and (re)registers the app's actor types; false when the app did not answer.</summary>
    private async Task<bool> ReadConfigAsync(CancellationToken stopping)
    {
        using var request = NewAppRequest(HttpMethod.Get, "/dapr/config");
        try
        {
            using var response = await _cluster.AppClient.SendAsync(request, stopping);
            var config = response.StatusCode == HttpStatusCode.OK
                ? ActorHostConfig.Parse(await response.Content.ReadAsByteArrayAsync(stopping))
                : ActorHostConfig.None;
            _cluster.Actors.RegisterHost(this, config);
            return true;
        }
        catch (HttpRequestException)
        {
            // Optional endpoint; daprd ignores failures (and hosts no actors).
            return false;
        }
    }

    private async Task ReadSubscriptionsAsync(CancellationToken stopping)
    {
        var delay = TimeSpan.FromMilliseconds(500);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                using var request = NewAppRequest(HttpMethod.Get, "/dapr/subscribe");
                using var response = await _cluster.AppClient.SendAsync(request, stopping);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    var body = await response.Content.ReadAsByteArrayAsync(stopping);
                    RegisterSubscriptions(body);
                }

                return;
            }
            catch (HttpRequestException) when (attempt < 4)
            {
                await Task.Delay(delay, stopping);
                delay *= 2;
            }
        }
    }

    private void RegisterSubscriptions(byte[] body)
    {
        JsonNode? parsed;
        try
        {
            parsed = JsonNode.Parse(body);
        }
        catch (JsonException)
        {
            return;
        }

        if (parsed is not JsonArray items)
        {
            return;
        }

        foreach (var item in items.OfType<JsonObject>())
        {
            var pubsub = item["pubsubname"]?.GetValueKind() == JsonValueKind.String ? item["pubsubname"]!.GetValue<string>() : null;
            var topic = item["topic"]?.GetValueKind() == JsonValueKind.String ? item["topic"]!.GetValue<string>() : null;
            var route = item["route"]?.GetValueKind() == JsonValueKind.String ? item["route"]!.GetValue<string>() : null;
            if (item["routes"] is JsonObject routes && routes["default"]?.GetValueKind() == JsonValueKind.String)
            {
                var defaultRoute = routes["default"]!.GetValue<string>();
                if (!string.IsNullOrEmpty(defaultRoute))
                {
                    route = defaultRoute;
                }
            }

            if (string.IsNullOrEmpty(pubsub) || string.IsNullOrEmpty(topic) || string.IsNullOrEmpty(route) || !_cluster.Bus.HasPubSub(pubsub))
            {
                continue;
            }

            var deadLetter = item["deadLetterTopic"]?.GetValueKind() == JsonValueKind.String ? item["deadLetterTopic"]!.GetValue<string>() : null;
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            if (item["metadata"] is JsonObject meta)
            {
                foreach (var (key, value) in meta)
                {
                    if (value?.GetValueKind() == JsonValueKind.String)
                    {
                        metadata[key] = value.GetValue<string>();
                    }
                }
            }

            var subscription = new SubscriptionInfo(AppId, pubsub, topic, route, string.IsNullOrEmpty(deadLetter) ? null : deadLetter, metadata);
            lock (_gate)
            {
                _subscriptions.Add(subscription);
            }

            _cluster.Bus.Subscribe(subscription, DeliverAsync);
        }
    }

    internal HttpRequestMessage NewAppRequest(HttpMethod method, string pathAndQuery)
    {
        var request = new HttpRequestMessage(method, new Uri($"http://127.0.0.1:{_app.AppPort}{pathAndQuery}"));
        if (!string.IsNullOrEmpty(_app.AppApiToken))
        {
            request.Headers.TryAddWithoutValidation(ApiTokenHeader, _app.AppApiToken);
        }

        return request;
    }

    // ---- Pub/sub delivery to this sidecar's app (reference §3). ----
    private async Task<DeliveryOutcome> DeliverAsync(SubscriptionInfo subscription, BusMessage message, CancellationToken stopping)
    {
        byte[] body;
        if (subscription.RawPayload)
        {
            body = CloudEvents.WrapRaw(message.Data, message.PubSub, message.Topic);
        }
        else if (message.RawPayload)
        {
            using var document = JsonDocument.Parse(message.Data); // Non-JSON raw payloads cannot be delivered (JsonException → drop).
            body = message.Data;
        }
        else
        {
            body = message.Data;
        }

        var route = subscription.Route.StartsWith('/') ? subscription.Route : "/" + subscription.Route;
        using var request = NewAppRequest(HttpMethod.Post, route);
        request.Content = new ByteArrayContent(body);
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(CloudEvents.ContentType);
        request.Headers.TryAddWithoutValidation("traceparent", message.TraceParent);
        request.Headers.TryAddWithoutValidation("pubsubName", message.PubSub);
        foreach (var (key, value) in message.Metadata)
        {
            if (!request.Headers.Contains(key))
            {
                request.Headers.TryAddWithoutValidation(key, value);
            }
        }

        using var response = await _cluster.AppClient.SendAsync(request, stopping);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return DeliveryOutcome.Drop;
        }

        if ((int)response.StatusCode is < 200 or > 299)
        {
            return DeliveryOutcome.Retry;
        }

        var reply = await response.Content.ReadAsByteArrayAsync(stopping);
        try
        {
            using var document = JsonDocument.Parse(reply);
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("status", out var status)
                || status.ValueKind != JsonValueKind.String)
            {
                return DeliveryOutcome.Success;
            }

            return status.GetString() switch
            {
                "" or "SUCCESS" => DeliveryOutcome.Success,
                "DROP" => DeliveryOutcome.Drop,
                _ => DeliveryOutcome.Retry,
            };
        }
        catch (JsonException)
        {
            return DeliveryOutcome.Success;
        }
    }

    // ---- The sidecar HTTP API. ----
    private async Task HandleAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "/";
        var method = context.Request.Method;
        var isHealth = HttpMethods.IsGet(method) && (path == "/v1.0/healthz" || path == "/v1.0/healthz/outbound");
        if (!isHealth && !string.IsNullOrEmpty(_app.ApiToken))
        {
            var presented = context.Request.Headers[ApiTokenHeader].ToString();
            if (!string.Equals(presented, _app.ApiToken, StringComparison.Ordinal))
            {
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                context.Response.ContentType = "text/plain";
                await context.Response.WriteAsync("invalid api token", context.RequestAborted);
                return;
            }
        }

        if (path == "/v1.0/healthz" && HttpMethods.IsGet(method))
        {
            await HealthAsync(context);
        }
        else if (path == "/v1.0/healthz/outbound" && HttpMethods.IsGet(method))
        {
            context.Response.StatusCode = StatusCodes.Status204NoContent;
        }
        else if (path.StartsWith("/v1.0/invoke/", StringComparison.Ordinal))
        {
            await InvokeAsync(context);
        }
        else if (path.StartsWith("/v1.0/actors/", StringComparison.Ordinal))
        {
            await ActorsAsync(context);
        }
        else if (path.StartsWith("/v1.0/publish/", StringComparison.Ordinal) && (HttpMethods.IsPost(method) || HttpMethods.IsPut(method)))
        {
            await PublishAsync(context, path["/v1.0/publish/".Length..]);
        }
        else if (path.StartsWith("/v1.0/bindings/", StringComparison.Ordinal) && (HttpMethods.IsPost(method) || HttpMethods.IsPut(method)))
        {
            await BindingAsync(context, path["/v1.0/bindings/".Length..]);
        }
        else if (path == "/v1.0/metadata" && HttpMethods.IsGet(method))
        {
            await MetadataAsync(context);
        }
        else if (path == "/v1.0/shutdown" && HttpMethods.IsPost(method))
        {
            context.Response.StatusCode = StatusCodes.Status204NoContent;
        }
        else
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
        }
    }

    private async Task HealthAsync(HttpContext context)
    {
        var appId = context.Request.Query["appid"].ToString();
        if (appId.Length > 0 && appId != AppId)
        {
            await DaprError.WriteAsync(context, 500, "ERR_HEALTH_APPID_NOT_MATCH", "dapr app-id does not match");
            return;
        }

        if (!_appChannelReady.Task.IsCompletedSuccessfully)
        {
            await DaprError.WriteAsync(context, 500, "ERR_HEALTH_NOT_READY", "dapr is not ready");
            return;
        }

        context.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    private async Task InvokeAsync(HttpContext context)
    {
        var rawTarget = context.Features.GetRequiredFeature<IHttpRequestFeature>().RawTarget;
        var query = context.Request.QueryString.Value ?? string.Empty;
        var rawPath = rawTarget.Split('?', 2)[0];
        var rest = rawPath["/v1.0/invoke/".Length..];
        var marker = rest.IndexOf("/method/", StringComparison.Ordinal);
        if (marker <= 0)
        {
            await DaprError.WriteAsync(context, 404, "ERR_DIRECT_INVOKE", "failed getting app id either from the URL path or the header dapr-app-id");
            return;
        }

        var targetId = Uri.UnescapeDataString(rest[..marker]);
        var methodPath = Uri.UnescapeDataString(rest[(marker + "/method/".Length)..]);
        if (methodPath.Any(c => c is '#' or '?' || char.IsControl(c)))
        {
            await DaprError.WriteAsync(context, 400, "ERR_DIRECT_INVOKE", $"invalid method name: {methodPath}");
            return;
        }

        var cleaned = DaprPath.Clean("/" + methodPath);
        var target = _cluster.Find(targetId);
        if (target?.App.AppPort is not { } targetPort)
        {
            await DaprError.WriteAsync(context, 500, "ERR_DIRECT_INVOKE", $"failed to invoke, id: {targetId}, err: couldn't find service: {targetId}");
            return;
        }

        using var request = new HttpRequestMessage(new HttpMethod(context.Request.Method), new Uri($"http://127.0.0.1:{targetPort}{DaprPath.Escape(cleaned)}{query}"));
        var bodyDetection = context.Features.Get<IHttpRequestBodyDetectionFeature>();
        if (bodyDetection?.CanHaveBody == true)
        {
            request.Content = new StreamContent(context.Request.Body);
            request.Content.Headers.ContentLength = context.Request.ContentLength;
        }
        else if (context.Request.ContentType is not null)
        {
            request.Content = new ByteArrayContent([]);
        }

        var connectionListed = new HashSet<string>(
            context.Request.Headers.Connection.SelectMany(v => (v ?? string.Empty).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)),
            StringComparer.OrdinalIgnoreCase);
        foreach (var (name, values) in context.Request.Headers)
        {
            if (HopByHop.Contains(name) || name.StartsWith("Proxy-", StringComparison.OrdinalIgnoreCase) || connectionListed.Contains(name)
                || name.Equals(ApiTokenHeader, StringComparison.OrdinalIgnoreCase) || name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)
                || name.Equals("dapr-caller-app-id", StringComparison.OrdinalIgnoreCase) || name.Equals("dapr-callee-app-id", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var lower = name.ToLowerInvariant();
            if (lower.StartsWith("content-", StringComparison.Ordinal))
            {
                request.Content?.Headers.TryAddWithoutValidation(lower, (IEnumerable<string>)values!);
            }
            else
            {
                request.Headers.TryAddWithoutValidation(lower, (IEnumerable<string>)values!);
            }
        }

        request.Headers.TryAddWithoutValidation("dapr-caller-app-id", AppId);
        request.Headers.TryAddWithoutValidation("dapr-callee-app-id", targetId);
        if (!request.Headers.Contains("traceparent"))
        {
            request.Headers.TryAddWithoutValidation("traceparent", CloudEvents.NewTraceParent());
        }

        if (!string.IsNullOrEmpty(target.App.AppApiToken))
        {
            request.Headers.TryAddWithoutValidation(ApiTokenHeader, target.App.AppApiToken);
        }

        HttpResponseMessage response;
        try
        {
            response = await _cluster.AppClient.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, context.RequestAborted);
        }
        catch (HttpRequestException e)
        {
            await DaprError.WriteAsync(context, 500, "ERR_DIRECT_INVOKE", $"failed to invoke, id: {targetId}, err: {e.Message}");
            return;
        }

        using (response)
        {
            context.Response.StatusCode = (int)response.StatusCode;
            foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
            {
                if (!HopByHop.Contains(name))
                {
                    context.Response.Headers[name] = values.ToArray();
                }
            }

            await using var stream = await response.Content.ReadAsStreamAsync(context.RequestAborted);
            await stream.CopyToAsync(context.Response.Body, context.RequestAborted);
        }
    }

    private async Task PublishAsync(HttpContext context, string rest)
    {
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        var pubsub = slash < 0 ? rest : rest[..slash];
        var topic = slash < 0 ? string.Empty : rest[(slash + 1)..];
        if (pubsub.Length == 0)
        {
            await DaprError.WriteAsync(context, 404, "ERR_PUBSUB_EMPTY", "pubsub name is empty");
            return;
        }

        if (!_cluster.Bus.HasPubSub(pubsub))
        {
            await DaprError.WriteAsync(context, 404, "ERR_PUBSUB_NOT_FOUND", $"pubsub {pubsub} not found");
            return;
        }

        if (topic.Length == 0)
        {
            await DaprError.WriteAsync(context, 404, "ERR_TOPIC_NAME_EMPTY", $"topic is empty in pubsub {pubsub}");
            return;
        }

        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, values) in context.Request.Query)
        {
            if (key.StartsWith("metadata.", StringComparison.Ordinal))
            {
                metadata[key["metadata.".Length..]] = values.ToString();
            }
        }

        var rawPayload = false;
        if (metadata.TryGetValue("rawPayload", out var rawValue) && !GoBool.TryParse(rawValue, out rawPayload))
        {
            await DaprError.WriteAsync(context, 400, "ERR_PUBSUB_REQUEST_METADATA", $"rawPayload value must be a valid boolean: actual is '{rawValue}'");
            return;
        }

        var overrides = metadata
            .Where(p => p.Key.StartsWith("cloudevent.", StringComparison.Ordinal))
            .ToDictionary(p => p.Key["cloudevent.".Length..], p => p.Value, StringComparer.Ordinal);
        var componentMetadata = metadata
            .Where(p => !p.Key.StartsWith("cloudevent.", StringComparison.Ordinal) && p.Key != "rawPayload")
            .ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);

        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
        var body = buffer.ToArray();
        var traceParent = overrides.TryGetValue("traceparent", out var tp) ? tp
            : context.Request.Headers.TryGetValue("traceparent", out var header) && header.Count > 0 ? header.ToString()
            : CloudEvents.NewTraceParent();
        var traceState = overrides.TryGetValue("tracestate", out var ts) ? ts : context.Request.Headers["tracestate"].ToString();

        byte[] data;
        if (rawPayload)
        {
            data = body;
        }
        else if (IsCloudEventContentType(context.Request.ContentType))
        {
            try
            {
                data = CloudEvents.CompleteCallerEvent(body, pubsub, topic, traceParent, traceState);
            }
            catch (JsonException e)
            {
                await DaprError.WriteAsync(context, 400, "ERR_PUBSUB_CLOUD_EVENTS_SER", $"error when unmarshalling the cloud event: {e.Message}");
                return;
            }
        }
        else
        {
            data = CloudEvents.BuildEnvelope(body, context.Request.ContentType, AppId, pubsub, topic, traceParent, traceState, overrides);
        }

        _cluster.Bus.Publish(new BusMessage(pubsub, topic, data, rawPayload, componentMetadata, traceParent));
        context.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    private static bool IsCloudEventContentType(string? contentType) =>
        contentType is not null && MediaTypeHeaderValue.TryParse(contentType, out var parsed)
        && string.Equals(parsed.MediaType, CloudEvents.ContentType, StringComparison.OrdinalIgnoreCase);

    private async Task BindingAsync(HttpContext context, string name)
    {
        JsonElement root;
        try
        {
            using var document = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
            root = document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            await DaprError.WriteAsync(context, 400, "ERR_MALFORMED_REQUEST", $"failed deserializing HTTP body: {e.Message}");
            return;
        }

        if (root.ValueKind != JsonValueKind.Object)
        {
            await DaprError.WriteAsync(context, 400, "ERR_MALFORMED_REQUEST", "failed deserializing HTTP body: not a JSON object");
            return;
        }

        var operation = root.TryGetProperty("operation", out var op) && op.ValueKind == JsonValueKind.String ? op.GetString()! : string.Empty;
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        if (root.TryGetProperty("metadata", out var meta) && meta.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in meta.EnumerateObject())
            {
                if (property.Value.ValueKind == JsonValueKind.String)
                {
                    metadata[property.Name] = property.Value.GetString()!;
                }
            }
        }

        var goData = GoJson.Encode(root.TryGetProperty("data", out var data) ? data : default);
        var error = $"error invoking output binding {name}: ";
        if (operation.Length == 0)
        {
            await DaprError.WriteAsync(context, 500, "ERR_INVOKE_OUTPUT_BINDING", error + "operation field is missing from request");
            return;
        }

        if (!_cluster.Bindings.TryGetValue(name, out var binding))
        {
            await DaprError.WriteAsync(context, 500, "ERR_INVOKE_OUTPUT_BINDING", error + $"couldn't find output binding {name}");
            return;
        }

        BindingResult result;
        try
        {
            result = await binding.InvokeAsync(operation, goData, metadata, context.RequestAborted);
        }
        catch (Exception e) when (e is BindingException or IOException or UnauthorizedAccessException)
        {
            await DaprError.WriteAsync(context, 500, "ERR_INVOKE_OUTPUT_BINDING", error + e.Message);
            return;
        }

        foreach (var (key, value) in result.Metadata)
        {
            context.Response.Headers["metadata." + key] = value;
        }

        if (result.Data is null)
        {
            context.Response.StatusCode = StatusCodes.Status204NoContent;
            return;
        }

        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/json";
        await context.Response.Body.WriteAsync(result.Data, context.RequestAborted);
    }

    private async Task MetadataAsync(HttpContext context)
    {
        var components = new JsonArray();
        foreach (var pubsub in _cluster.Options.PubSubNames)
        {
            components.Add(new JsonObject { ["name"] = pubsub, ["type"] = "pubsub.in-memory", ["version"] = "v1", ["capabilities"] = new JsonArray() });
        }

        foreach (var (name, binding) in _cluster.Bindings.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            components.Add(new JsonObject { ["name"] = name, ["type"] = binding.Type, ["version"] = "v1", ["capabilities"] = new JsonArray("OUTPUT_BINDING") });
        }

        var subscriptions = new JsonArray();
        foreach (var s in Subscriptions)
        {
            var meta = new JsonObject();
            foreach (var (key, value) in s.Metadata)
            {
                meta[key] = value;
            }

            subscriptions.Add(new JsonObject
            {
                ["pubsubname"] = s.PubSubName,
                ["topic"] = s.Topic,
                ["metadata"] = meta,
                ["rules"] = new JsonArray(new JsonObject { ["match"] = string.Empty, ["path"] = s.Route }),
                ["deadLetterTopic"] = s.DeadLetterTopic ?? string.Empty,
                ["type"] = "PROGRAMMATIC",
            });
        }

        var actors = new JsonArray();
        var activeActors = new JsonArray();
        var counts = _cluster.Actors.ActiveCounts(this);
        foreach (var type in _cluster.Actors.Placement.ConfigOf(this)?.Entities ?? [])
        {
            actors.Add(new JsonObject { ["type"] = type, ["count"] = counts.GetValueOrDefault(type) });
            activeActors.Add(new JsonObject { ["type"] = type, ["count"] = counts.GetValueOrDefault(type) });
        }

        var body = new JsonObject
        {
            ["id"] = AppId,
            ["runtimeVersion"] = "emulator",
            ["enabledFeatures"] = new JsonArray(),
            ["components"] = components,
            ["subscriptions"] = subscriptions,
            ["actors"] = actors,
            ["actorRuntime"] = new JsonObject
            {
                ["runtimeStatus"] = "RUNNING",
                ["activeActors"] = activeActors,
                ["hostReady"] = _cluster.Actors.Placement.IsUp(this),
                ["placement"] = "placement: connected",
            },
            ["extended"] = new JsonObject(),
            ["appConnectionProperties"] = new JsonObject
            {
                ["port"] = _app.AppPort ?? 0,
                ["protocol"] = "http",
                ["channelAddress"] = "127.0.0.1",
            },
        };
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/json";
        await context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(body.ToJsonString()), context.RequestAborted);
    }
}
