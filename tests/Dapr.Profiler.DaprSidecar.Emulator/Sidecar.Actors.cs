using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Dapr.Profiler.DaprSidecar.Emulator;

/// <summary>The actors API of one sidecar (reference §5), served from the cluster's <see cref="ActorService"/>.</summary>
public sealed partial class Sidecar
{
    private const string ActorsPrefix = "/v1.0/actors/";

    private readonly Lock _probeGate = new();
    private Task _probe = Task.CompletedTask;
    private bool _disposing;

    /// <summary>The actor types this sidecar's app reported in <c>/dapr/config</c> (empty until it was read).</summary>
    public IReadOnlyList<string> ActorTypes => _cluster.Actors.Placement.ConfigOf(this)?.Entities ?? [];

    /// <summary>After a failed connection to the app: poll its port, then read <c>/dapr/config</c> again and rejoin placement.</summary>
    internal void ProbeAppUntilBack()
    {
        lock (_probeGate)
        {
            if (_disposing || !_probe.IsCompleted || _app.AppPort is not { } port)
            {
                return;
            }

            var stopping = _stopping.Token;
            _probe = Task.Run(() => ProbeAsync(port, stopping), CancellationToken.None);
        }
    }

    private async Task StopProbingAsync()
    {
        Task probe;
        lock (_probeGate)
        {
            _disposing = true;
            probe = _probe;
        }

        try
        {
            await probe;
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    private async Task ProbeAsync(int port, CancellationToken stopping)
    {
        while (true)
        {
            using (var client = new TcpClient())
            {
                try
                {
                    await client.ConnectAsync(IPAddress.Loopback, port, stopping);
                    if (await ReadConfigAsync(stopping))
                    {
                        return;
                    }
                }
                catch (SocketException)
                {
                    // Not back yet.
                }
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50), stopping);
        }
    }

    private async Task ActorsAsync(HttpContext context)
    {
        var rawPath = context.Features.GetRequiredFeature<IHttpRequestFeature>().RawTarget.Split('?', 2)[0];
        var segments = rawPath[ActorsPrefix.Length..].Split('/').Select(Uri.UnescapeDataString).ToArray();
        if (segments.Length is < 3 or > 4)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        var (type, id, kind) = (segments[0], segments[1], segments[2]);
        foreach (var (name, value) in (ReadOnlySpan<(string, string)>)[("actorType", type), ("actorId", id)])
        {
            if (!IsValidName(value))
            {
                await DaprError.WriteAsync(context, 400, "ERR_BAD_REQUEST", $"invalid request: invalid {name}: '{value}'");
                return;
            }
        }

        var actor = new ActorKey(type, id);
        var verb = context.Request.Method;
        var write = HttpMethods.IsPut(verb) || HttpMethods.IsPost(verb);
        var last = segments.Length == 4 ? segments[3] : null;
        switch (kind)
        {
            case "method" when last is not null && (write || HttpMethods.IsGet(verb) || HttpMethods.IsDelete(verb)):
                await InvokeActorAsync(context, actor, last);
                break;
            case "state" when last is null && write:
                await SaveActorStateAsync(context, actor);
                break;
            case "state" when last is not null && HttpMethods.IsGet(verb):
                await GetActorStateAsync(context, actor, last);
                break;
            case "reminders" when last is not null && (write || HttpMethods.IsGet(verb) || HttpMethods.IsDelete(verb)):
                await ReminderAsync(context, new ScheduleKey(type, id, last));
                break;
            case "timers" when last is not null && (write || HttpMethods.IsDelete(verb)):
                await TimerAsync(context, new ScheduleKey(type, id, last));
                break;
            default:
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                break;
        }
    }

    private static bool IsValidName(string value) =>
        value.Length > 0 && !value.Any(c => c is '/' or '\\' or '#' or '?' || char.IsControl(c));

    private async Task InvokeActorAsync(HttpContext context, ActorKey actor, string method)
    {
        if (!IsValidName(method))
        {
            await DaprError.WriteAsync(context, 400, "ERR_BAD_REQUEST", $"invalid request: invalid method name: '{method}'");
            return;
        }

        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
        var headers = context.Request.Headers
            .Select(h => new KeyValuePair<string, string[]>(h.Key, [.. h.Value.OfType<string>()]))
            .ToList();
        var call = new ActorCall(method, buffer.ToArray(), context.Request.ContentType, headers);
        var (response, error) = await _cluster.Actors.InvokeAsync(this, actor, call, context.RequestAborted);
        if (error is not null)
        {
            await DaprError.WriteAsync(context, error.Status, error.Code, error.Message);
            return;
        }

        // daprd accepts exactly 200 from the app; an actor error (X-DaprErrorResponseHeader) is relayed as the app sent it.
        if (response!.Status == StatusCodes.Status200OK || response.Has(ActorService.ErrorResponseHeader))
        {
            context.Response.StatusCode = response.Status;
            foreach (var (name, values) in response.Headers)
            {
                context.Response.Headers[name] = values;
            }

            await context.Response.Body.WriteAsync(response.Body, context.RequestAborted);
            return;
        }

        var detail = response.Status == StatusCodes.Status404NotFound
            ? $"actor method not found: {method}"
            : $"error from actor service: ({response.Status}) {Encoding.UTF8.GetString(response.Body)}";
        await DaprError.WriteAsync(context, 500, "ERR_ACTOR_INVOKE_METHOD", "error invoke actor method: " + detail);
    }

    private async Task GetActorStateAsync(HttpContext context, ActorKey actor, string key)
    {
        if (!_cluster.Actors.IsLocal(this, actor))
        {
            await DaprError.WriteAsync(context, 400, "ERR_ACTOR_INSTANCE_MISSING", "actor instance is missing");
            return;
        }

        var value = _cluster.Actors.Store.GetState(actor, key, DateTimeOffset.UtcNow);
        if (value is null)
        {
            context.Response.StatusCode = StatusCodes.Status204NoContent;
            return;
        }

        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/json";
        if (value.Expires is { } expires)
        {
            context.Response.Headers["metadata.ttlExpireTime"] = expires.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        }

        await context.Response.Body.WriteAsync(value.Json, context.RequestAborted);
    }

    private async Task SaveActorStateAsync(HttpContext context, ActorKey actor)
    {
        if (!_cluster.Actors.IsLocal(this, actor))
        {
            await DaprError.WriteAsync(context, 400, "ERR_ACTOR_INSTANCE_MISSING", "actor instance is missing");
            return;
        }

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

        if (root.ValueKind != JsonValueKind.Array)
        {
            await DaprError.WriteAsync(context, 400, "ERR_MALFORMED_REQUEST", "failed deserializing HTTP body: not a JSON array");
            return;
        }

        var now = DateTimeOffset.UtcNow;
        var operations = new List<StateOperation>();
        foreach (var item in root.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object
                || !item.TryGetProperty("operation", out var operation) || operation.ValueKind != JsonValueKind.String
                || !item.TryGetProperty("request", out var request) || request.ValueKind != JsonValueKind.Object
                || !request.TryGetProperty("key", out var key) || key.ValueKind != JsonValueKind.String || key.GetString()!.Length == 0)
            {
                await DaprError.WriteAsync(context, 400, "ERR_MALFORMED_REQUEST", "failed deserializing HTTP body: each operation needs \"operation\" and \"request\" with a \"key\"");
                return;
            }

            switch (operation.GetString()!.ToLowerInvariant())
            {
                case "upsert":
                    DateTimeOffset? expires = null;
                    if (request.TryGetProperty("metadata", out var metadata) && metadata.ValueKind == JsonValueKind.Object
                        && metadata.TryGetProperty("ttlInSeconds", out var ttl) && ttl.ValueKind != JsonValueKind.Null)
                    {
                        var text = ttl.ValueKind == JsonValueKind.String ? ttl.GetString() : ttl.GetRawText();
                        if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var seconds))
                        {
                            await DaprError.WriteAsync(context, 500, "ERR_ACTOR_STATE_TRANSACTION_SAVE", $"error saving actor transaction state: invalid ttlInSeconds: {text}");
                            return;
                        }

                        expires = seconds > 0 ? now.AddSeconds(seconds) : null;
                    }

                    var value = request.TryGetProperty("value", out var v) ? Encoding.UTF8.GetBytes(v.GetRawText()) : null;
                    operations.Add(new StateOperation(true, key.GetString()!, value, expires));
                    break;
                case "delete":
                    operations.Add(new StateOperation(false, key.GetString()!, null, null));
                    break;
                default:
                    await DaprError.WriteAsync(context, 500, "ERR_ACTOR_STATE_TRANSACTION_SAVE", $"error saving actor transaction state: operation type {operation.GetString()} not supported");
                    return;
            }
        }

        _cluster.Actors.Store.Apply(actor, operations);
        context.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    private async Task ReminderAsync(HttpContext context, ScheduleKey key)
    {
        if (!_cluster.Actors.Placement.Hosts(this, key.Type))
        {
            await DaprError.WriteAsync(context, 403, "ERR_ACTOR_REMINDER_NON_HOSTED", "operations on actor reminders are only possible on hosted actor types");
            return;
        }

        var reminders = _cluster.Actors.Store.Reminders;
        if (HttpMethods.IsDelete(context.Request.Method))
        {
            reminders.Remove(key);
            context.Response.StatusCode = StatusCodes.Status204NoContent;
            return;
        }

        if (HttpMethods.IsGet(context.Request.Method))
        {
            if (reminders.Get(key) is not { } existing)
            {
                await DaprError.WriteAsync(context, 404, "ERR_ACTOR_REMINDER_NOT_FOUND", $"actor reminder not found: {key.Name}");
                return;
            }

            context.Response.StatusCode = StatusCodes.Status200OK;
            context.Response.ContentType = "application/json";
            await context.Response.Body.WriteAsync(ReminderJson(existing), context.RequestAborted);
            return;
        }

        if (await ReadRegistrationAsync(context) is not { } body)
        {
            return;
        }

        var reminder = ScheduledCall.Create(ScheduleKind.Reminder, key, body, DateTimeOffset.UtcNow, owner: null, out var error);
        if (reminder is null)
        {
            await DaprError.WriteAsync(context, 500, "ERR_ACTOR_REMINDER_CREATE", $"error creating actor reminder: {error}");
            return;
        }

        if (!reminders.Add(reminder, body.Overwrite))
        {
            await DaprError.WriteAsync(context, 409, "ERR_ACTOR_REMINDER_ALREADY_EXISTS", $"actor reminder already exists: {key.Name}");
            return;
        }

        context.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    private static byte[] ReminderJson(ScheduledCall reminder)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("actorID", reminder.Key.Id);
            writer.WriteString("actorType", reminder.Key.Type);
            if (reminder.Data is not null)
            {
                writer.WritePropertyName("data");
                writer.WriteRawValue(reminder.Data, skipInputValidation: true);
            }

            writer.WriteString("dueTime", reminder.DueTime);
            writer.WriteString("period", reminder.Period);
            if (reminder.Ttl.Length > 0)
            {
                writer.WriteString("ttl", reminder.Ttl);
            }

            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }

    private async Task TimerAsync(HttpContext context, ScheduleKey key)
    {
        if (HttpMethods.IsDelete(context.Request.Method))
        {
            _cluster.Actors.Timers.Remove(key);
            context.Response.StatusCode = StatusCodes.Status204NoContent;
            return;
        }

        if (!_cluster.Actors.Placement.Hosts(this, key.Type))
        {
            await DaprError.WriteAsync(context, 500, "ERR_ACTOR_TIMER_CREATE", $"error creating actor timer: actor type {key.Type} not registered");
            return;
        }

        if (await ReadRegistrationAsync(context) is not { } body)
        {
            return;
        }

        var timer = ScheduledCall.Create(ScheduleKind.Timer, key, body, DateTimeOffset.UtcNow, owner: this, out var error);
        if (timer is null)
        {
            await DaprError.WriteAsync(context, 500, "ERR_ACTOR_TIMER_CREATE", $"error creating actor timer: {error}");
            return;
        }

        _cluster.Actors.Timers.Add(timer, overwrite: true);
        context.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    private static async Task<RegistrationBody?> ReadRegistrationAsync(HttpContext context)
    {
        try
        {
            using var document = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
            if (RegistrationBody.Parse(document.RootElement) is { } body)
            {
                return body;
            }

            await DaprError.WriteAsync(context, 400, "ERR_MALFORMED_REQUEST", "failed deserializing HTTP body: dueTime, period, ttl and callback must be strings, overwrite a boolean");
        }
        catch (JsonException e)
        {
            await DaprError.WriteAsync(context, 400, "ERR_MALFORMED_REQUEST", $"failed deserializing HTTP body: {e.Message}");
        }

        return null;
    }
}
