using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;

namespace Dapr.Profiler.DaprSidecar.Emulator;

/// <summary>An error answered to an API caller as daprd's <c>{"errorCode","message"}</c>.</summary>
internal sealed record ApiError(int Status, string Code, string Message);

/// <summary>The app's answer to an actor call, buffered inside the actor's turn.</summary>
internal sealed record ActorAppResponse(int Status, IReadOnlyList<KeyValuePair<string, string[]>> Headers, byte[] Body)
{
    public bool Has(string header) => Headers.Any(h => string.Equals(h.Key, header, StringComparison.OrdinalIgnoreCase));
}

/// <summary>A method call as an API caller sent it.</summary>
internal sealed record ActorCall(string Method, byte[] Body, string? ContentType, IReadOnlyList<KeyValuePair<string, string[]>> Headers);

/// <summary>
/// The cluster's actor runtime, shared by all sidecars as daprd shares it through Placement and the state store:
/// placement, one turn-based lock and activation record per actor, state and reminders (<see cref="ActorStore"/>),
/// timers (in memory, owned by the sidecar they were created on), the reminder/timer scheduler, rebalancing (an
/// activation whose placement moved is deactivated on its old host) and idle deactivation.
/// </summary>
internal sealed class ActorService : IAsyncDisposable
{
    public const string ReentrancyHeader = "Dapr-Reentrancy-Id";
    public const string ErrorResponseHeader = "X-DaprErrorResponseHeader";
    public const string ReminderCancelHeader = "X-DaprReminderCancel";
    private const string AppTokenHeader = "dapr-api-token";

    private static readonly HashSet<string> NotForwarded = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "TE", "Trailer", "Transfer-Encoding", "Upgrade", "Proxy-Connection", "Proxy-Authenticate",
        "Proxy-Authorization", "Host", "Content-Length", AppTokenHeader, "dapr-caller-app-id", "dapr-callee-app-id",
    };

    private readonly SidecarCluster _cluster;
    private readonly ConcurrentDictionary<ActorKey, ActorSlot> _slots = new();
    private readonly ConcurrentDictionary<Task, byte> _background = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _gate = new();
    private TaskCompletionSource _wakeup = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _scheduler = Task.CompletedTask;
    private Task _idleScanner = Task.CompletedTask;

    public ActorService(SidecarCluster cluster)
    {
        _cluster = cluster;
        Store = new ActorStore(cluster.Options.ActorStateDirectory, Wake);
        Timers = new ScheduleBook(Wake);
    }

    public ActorPlacement Placement { get; } = new();

    public ActorStore Store { get; }

    public ScheduleBook Timers { get; }

    private SidecarClusterOptions Options => _cluster.Options;

    public void Start()
    {
        _scheduler = Task.Run(() => RunSchedulerAsync(_stopping.Token), CancellationToken.None);
        _idleScanner = Task.Run(() => RunIdleScannerAsync(_stopping.Token), CancellationToken.None);
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await Task.WhenAll([_scheduler, _idleScanner, .. _background.Keys]).ContinueWith(_ => { }, TaskScheduler.Default);
        _stopping.Dispose();
    }

    // ---- Hosts. ----

    /// <summary>A sidecar read its app's <c>/dapr/config</c>: it hosts <paramref name="config"/>'s types (or none).</summary>
    public void RegisterHost(Sidecar sidecar, ActorHostConfig config)
    {
        if (config.Entities.Count == 0)
        {
            RemoveHost(sidecar);
            return;
        }

        Placement.Register(sidecar, config);
        Track(RebalanceAsync);
    }

    /// <summary>A sidecar is going away: out of placement, its activations forgotten, its timers ended.</summary>
    public void RemoveHost(Sidecar sidecar)
    {
        Placement.Unregister(sidecar);
        ForgetActivations(sidecar);
    }

    /// <summary>A call to <paramref name="sidecar"/>'s app failed to connect: out of placement until its port answers again.</summary>
    public void HostUnreachable(Sidecar sidecar)
    {
        if (Placement.MarkDown(sidecar))
        {
            ForgetActivations(sidecar);
            sidecar.ProbeAppUntilBack();
        }
    }

    /// <summary>Active actors per type on <paramref name="sidecar"/> (for <c>/v1.0/metadata</c>).</summary>
    public IReadOnlyDictionary<string, int> ActiveCounts(Sidecar sidecar) =>
        _slots.Values.Where(s => ReferenceEquals(s.ActiveOn, sidecar)).GroupBy(s => s.Key.Type, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);

    /// <summary>Whether state calls for <paramref name="actor"/> are accepted on <paramref name="sidecar"/>: it is active or placed there.</summary>
    public bool IsLocal(Sidecar sidecar, ActorKey actor) =>
        (_slots.TryGetValue(actor, out var slot) && ReferenceEquals(slot.ActiveOn, sidecar))
        || ReferenceEquals(Placement.Lookup(actor.Type, actor.Id), sidecar);

    private void ForgetActivations(Sidecar sidecar)
    {
        foreach (var slot in _slots.Values)
        {
            Interlocked.CompareExchange(ref slot.ActiveOn, null, sidecar);
        }

        Timers.RemoveWhere(t => ReferenceEquals(t.Owner, sidecar));
    }

    // ---- Method calls. ----

    /// <summary>Invokes <paramref name="call"/> on the actor's host inside its turn; the response or an error for the API caller.</summary>
    public async Task<(ActorAppResponse? Response, ApiError? Error)> InvokeAsync(Sidecar caller, ActorKey actor, ActorCall call, CancellationToken cancellationToken)
    {
        var host = await LookupAsync(actor, cancellationToken);
        if (host is null)
        {
            return (null, NoHost(actor));
        }

        var settings = Placement.ConfigOf(host)?.For(actor.Type);
        var reentrancyId = settings?.ReentrancyEnabled == true
            ? call.Headers.FirstOrDefault(h => string.Equals(h.Key, ReentrancyHeader, StringComparison.OrdinalIgnoreCase)).Value?.FirstOrDefault() ?? Guid.NewGuid().ToString()
            : null;
        var slot = Slot(actor);
        using var turn = await slot.Turn.EnterAsync(reentrancyId, settings?.MaxStackDepth ?? int.MaxValue, cancellationToken);
        if (turn is null)
        {
            return (null, new ApiError(500, "ERR_ACTOR_STACK_DEPTH", "maximum stack depth exceeded"));
        }

        while (true)
        {
            host = await LookupAsync(actor, cancellationToken);
            if (host is null)
            {
                return (null, NoHost(actor));
            }

            await MoveActivationAsync(slot, host, cancellationToken);
            using var request = host.NewAppRequest(HttpMethod.Put, MethodPath(actor, call.Method));
            request.Content = new ByteArrayContent(call.Body);
            foreach (var (name, values) in call.Headers)
            {
                if (NotForwarded.Contains(name) || string.Equals(name, ReentrancyHeader, StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }

                if (name.StartsWith("Content-", StringComparison.OrdinalIgnoreCase))
                {
                    request.Content.Headers.TryAddWithoutValidation(name, values);
                }
                else
                {
                    request.Headers.TryAddWithoutValidation(name, values);
                }
            }

            if (reentrancyId is not null)
            {
                request.Headers.TryAddWithoutValidation(ReentrancyHeader, reentrancyId);
            }

            request.Headers.TryAddWithoutValidation("dapr-caller-app-id", caller.AppId);
            if (!request.Headers.Contains("traceparent"))
            {
                request.Headers.TryAddWithoutValidation("traceparent", CloudEvents.NewTraceParent());
            }

            try
            {
                using var response = await _cluster.AppClient.SendAsync(request, cancellationToken);
                var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
                slot.Touch(host);
                var headers = response.Headers.Concat(response.Content.Headers)
                    .Where(h => !NotForwarded.Contains(h.Key))
                    .Select(h => new KeyValuePair<string, string[]>(h.Key, [.. h.Value]))
                    .ToList();
                return (new ActorAppResponse((int)response.StatusCode, headers, body), null);
            }
            catch (HttpRequestException e) when (IsRefused(e))
            {
                // The app is gone (nothing was delivered): placement moves, try the new host.
                HostUnreachable(host);
            }
            catch (HttpRequestException e)
            {
                HostUnreachable(host);
                return (null, new ApiError(500, "ERR_ACTOR_INVOKE_METHOD", $"error invoke actor method: {e.Message}"));
            }
        }
    }

    private async Task<Sidecar?> LookupAsync(ActorKey actor, CancellationToken cancellationToken) =>
        Placement.Lookup(actor.Type, actor.Id)
        ?? await Placement.WaitForHostAsync(actor.Type, actor.Id, Options.ActorPlacementTimeout, cancellationToken);

    private static ApiError NoHost(ActorKey actor) => new(
        500,
        "ERR_ACTOR_INVOKE_METHOD",
        $"error invoke actor method: failed to lookup actor: api error: code = FailedPrecondition desc = did not find address for actor '{actor}'");

    private static bool IsRefused(HttpRequestException e) =>
        e.HttpRequestError == HttpRequestError.ConnectionError
        || e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused };

    private static string MethodPath(ActorKey actor, string method) =>
        $"/actors/{Uri.EscapeDataString(actor.Type)}/{Uri.EscapeDataString(actor.Id)}/method/{string.Join('/', method.Split('/').Select(Uri.EscapeDataString))}";

    private ActorSlot Slot(ActorKey actor) => _slots.GetOrAdd(actor, static key => new ActorSlot(key));

    /// <summary>In the actor's turn: if it is active on another host than <paramref name="host"/>, deactivate it there first (one activation per id).</summary>
    private async Task MoveActivationAsync(ActorSlot slot, Sidecar host, CancellationToken cancellationToken)
    {
        var previous = slot.ActiveOn;
        if (previous is null || ReferenceEquals(previous, host))
        {
            return;
        }

        await DeactivateAsync(previous, slot.Key, cancellationToken);
        Interlocked.CompareExchange(ref slot.ActiveOn, null, previous);
    }

    private async Task DeactivateAsync(Sidecar host, ActorKey actor, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Placement.ConfigOf(host)?.DrainOngoingCallTimeout ?? ActorHostConfig.DefaultDrainOngoingCallTimeout);
        using var request = host.NewAppRequest(HttpMethod.Delete, $"/actors/{Uri.EscapeDataString(actor.Type)}/{Uri.EscapeDataString(actor.Id)}");
        try
        {
            using var response = await _cluster.AppClient.SendAsync(request, timeout.Token);
        }
        catch (HttpRequestException e) when (IsRefused(e))
        {
            HostUnreachable(host);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            // The activation is dropped either way.
        }
    }

    /// <summary>After a host joined: activations whose placement moved are deactivated on their old host (in their turn).</summary>
    private async Task RebalanceAsync(CancellationToken stopping)
    {
        foreach (var slot in _slots.Values)
        {
            if (slot.ActiveOn is not { } active || ReferenceEquals(Placement.Lookup(slot.Key.Type, slot.Key.Id), active))
            {
                continue;
            }

            using var turn = await slot.Turn.EnterAsync(null, int.MaxValue, stopping);
            active = slot.ActiveOn;
            if (active is not null && !ReferenceEquals(Placement.Lookup(slot.Key.Type, slot.Key.Id), active))
            {
                await DeactivateAsync(active, slot.Key, stopping);
                Interlocked.CompareExchange(ref slot.ActiveOn, null, active);
            }
        }
    }

    // ---- Reminders and timers. ----

    private void Wake()
    {
        lock (_gate)
        {
            var wakeup = _wakeup;
            _wakeup = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            wakeup.TrySetResult();
        }
    }

    private async Task RunSchedulerAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            Task wakeup;
            lock (_gate)
            {
                wakeup = _wakeup.Task;
            }

            var now = DateTimeOffset.UtcNow;
            var due = new List<(ScheduleBook Book, ScheduledCall Call)>();
            var next = Earliest(Store.Reminders.TakeDue(now, due), Timers.TakeDue(now, due));
            foreach (var (book, call) in due)
            {
                Track(token => FireAsync(book, call, token));
            }

            var delay = next is { } at ? at - DateTimeOffset.UtcNow : TimeSpan.FromMinutes(1);
            delay = delay < TimeSpan.Zero ? TimeSpan.Zero : delay > TimeSpan.FromMinutes(1) ? TimeSpan.FromMinutes(1) : delay;
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(stopping);
            await Task.WhenAny(Task.Delay(delay, wait.Token), wakeup);
            await wait.CancelAsync();
        }
    }

    private static DateTimeOffset? Earliest(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : a < b ? a : b;

    private async Task FireAsync(ScheduleBook book, ScheduledCall call, CancellationToken stopping)
    {
        var outcome = call.Kind == ScheduleKind.Reminder ? FireOutcome.Retry : FireOutcome.Skipped;
        try
        {
            outcome = await DeliverAsync(book, call, stopping);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Stopping: the occurrence stays due.
        }
        finally
        {
            book.Complete(call, outcome, DateTimeOffset.UtcNow, Options.ActorReminderRetryDelay);
        }
    }

    /// <summary>One attempt: <c>PUT /actors/{type}/{id}/method/remind|timer/{name}</c> on the actor's host, in its turn.</summary>
    private async Task<FireOutcome> DeliverAsync(ScheduleBook book, ScheduledCall call, CancellationToken stopping)
    {
        var failed = call.Kind == ScheduleKind.Reminder ? FireOutcome.Retry : FireOutcome.Skipped;
        var actor = call.Key.Actor;
        if (Placement.Lookup(actor.Type, actor.Id) is null)
        {
            return failed;
        }

        var slot = Slot(actor);
        using var turn = await slot.Turn.EnterAsync(null, int.MaxValue, stopping);
        if (!ReferenceEquals(book.Get(call.Key), call))
        {
            // Unregistered or replaced while waiting for the turn (e.g. by the actor itself): not delivered.
            return FireOutcome.Skipped;
        }

        var host = Placement.Lookup(actor.Type, actor.Id);
        if (host is null)
        {
            return failed;
        }

        await MoveActivationAsync(slot, host, stopping);
        var kind = call.Kind == ScheduleKind.Reminder ? "remind" : "timer";
        using var request = host.NewAppRequest(HttpMethod.Put, MethodPath(actor, kind + "/" + call.Key.Name));
        request.Content = new ByteArrayContent(call.CallbackBody());
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        try
        {
            using var response = await _cluster.AppClient.SendAsync(request, stopping);
            slot.Touch(host);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                return failed;
            }

            return response.Headers.TryGetValues(ReminderCancelHeader, out var cancel) && GoBool.IsTruthy(cancel.FirstOrDefault() ?? string.Empty)
                ? FireOutcome.Cancelled
                : FireOutcome.Delivered;
        }
        catch (HttpRequestException)
        {
            HostUnreachable(host);
            return failed;
        }
    }

    // ---- Idle deactivation. ----

    private async Task RunIdleScannerAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            var hosts = Placement.Snapshot();
            var interval = hosts.Count == 0 ? ActorHostConfig.DefaultScanInterval : hosts.Min(h => h.Config.ScanInterval);
            interval = interval < TimeSpan.FromMilliseconds(10) ? TimeSpan.FromMilliseconds(10) : interval;
            using (var wait = CancellationTokenSource.CreateLinkedTokenSource(stopping))
            {
                await Task.WhenAny(Task.Delay(interval, wait.Token), Placement.Changed);
                await wait.CancelAsync();
            }

            var now = Environment.TickCount64;
            foreach (var slot in _slots.Values)
            {
                if (slot.ActiveOn is not { } host || Placement.ConfigOf(host) is not { } config
                    || now - slot.LastUsed < (long)config.For(slot.Key.Type).IdleTimeout.TotalMilliseconds)
                {
                    continue;
                }

                using var turn = slot.Turn.TryEnter();
                if (turn is not null && ReferenceEquals(slot.ActiveOn, host))
                {
                    await DeactivateAsync(host, slot.Key, stopping);
                    Interlocked.CompareExchange(ref slot.ActiveOn, null, host);
                }
            }
        }
    }

    private void Track(Func<CancellationToken, Task> work)
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        var task = Task.Run(
            async () =>
            {
                try
                {
                    await work(_stopping.Token);
                }
                catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
                {
                    // Stopping.
                }
            },
            CancellationToken.None);
        _background[task] = 0;
        task.ContinueWith(t => _background.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>One actor id: its turn and where it is active.</summary>
    private sealed class ActorSlot(ActorKey key)
    {
        public Sidecar? ActiveOn;

        public ActorKey Key { get; } = key;

        public ActorTurn Turn { get; } = new();

        /// <summary><see cref="Environment.TickCount64"/> of the last call that reached the app.</summary>
        public long LastUsed { get; private set; } = Environment.TickCount64;

        public void Touch(Sidecar host)
        {
            LastUsed = Environment.TickCount64;
            Volatile.Write(ref ActiveOn, host);
        }
    }
}
