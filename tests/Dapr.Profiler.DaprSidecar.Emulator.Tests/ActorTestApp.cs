using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Dapr.Actors;
using Dapr.Actors.Client;
using Dapr.Actors.Runtime;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Dapr.Profiler.DaprSidecar.Emulator.Tests;

/// <summary>What <see cref="CounterActor.StartReminder"/> and <see cref="CounterActor.StartTimer"/> register (periodMs &lt; 0: once).</summary>
public sealed record ScheduleRequest(string Name, string Data, int DueMs, int PeriodMs);

/// <summary>The test actor's interface (remoting and non-remoting calls use the method names).</summary>
public interface ICounterActor : IActor
{
    Task<int> Add(int amount);

    Task<int> Read();

    /// <summary>Stays in the turn until the test releases <paramref name="gate"/>; returns the count.</summary>
    Task<int> Hold(string gate);

    /// <summary>Calls <see cref="Add"/> on itself through its sidecar from inside its own turn (needs reentrancy).</summary>
    Task<int> AddViaSelf(int amount);

    Task StartReminder(ScheduleRequest request);

    Task StopReminder(string name);

    Task StartTimer(ScheduleRequest request);

    Task StopTimer(string name);
}

/// <summary>A small SDK actor: a counter in actor state, reminders and timers that report to the app's <see cref="ActorProbe"/>.</summary>
public sealed class CounterActor(ActorHost host, ActorProbe probe) : Actor(host), ICounterActor, IRemindable
{
    private const string CountKey = "count";

    public async Task<int> Add(int amount)
    {
        using var _ = probe.Enter(Id.GetId());
        var current = await StateManager.TryGetStateAsync<int>(CountKey);
        var next = (current.HasValue ? current.Value : 0) + amount;
        await StateManager.SetStateAsync(CountKey, next);
        return next;
    }

    public async Task<int> Read()
    {
        using var _ = probe.Enter(Id.GetId());
        var current = await StateManager.TryGetStateAsync<int>(CountKey);
        return current.HasValue ? current.Value : 0;
    }

    public async Task<int> Hold(string gate)
    {
        using var _ = probe.Enter(Id.GetId());
        probe.Record("enter", Id.GetId(), gate);
        await probe.GateAsync(gate);
        probe.Record("exit", Id.GetId(), gate);
        var current = await StateManager.TryGetStateAsync<int>(CountKey);
        return current.HasValue ? current.Value : 0;
    }

    public async Task<int> AddViaSelf(int amount)
    {
        var self = ProxyFactory.Create(Id, Host.ActorTypeInfo.ActorTypeName);
        return await self.InvokeMethodAsync<int, int>(nameof(Add), amount);
    }

    public async Task StartReminder(ScheduleRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        await RegisterReminderAsync(request.Name, Encoding.UTF8.GetBytes(request.Data), TimeSpan.FromMilliseconds(request.DueMs), Period(request));
    }

    public Task StopReminder(string name) => UnregisterReminderAsync(name);

    public async Task StartTimer(ScheduleRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        await RegisterTimerAsync(request.Name, nameof(OnTimer), Encoding.UTF8.GetBytes(request.Data), TimeSpan.FromMilliseconds(request.DueMs), Period(request));
    }

    public Task StopTimer(string name) => UnregisterTimerAsync(name);

    public Task OnTimer(byte[] data)
    {
        probe.Record("timer", Id.GetId(), string.Empty, Encoding.UTF8.GetString(data ?? []));
        return Task.CompletedTask;
    }

    public Task ReceiveReminderAsync(string reminderName, byte[] state, TimeSpan dueTime, TimeSpan period)
    {
        probe.Record("reminder-attempt", Id.GetId(), reminderName, Encoding.UTF8.GetString(state ?? []));
        if (probe.FailReminder())
        {
            throw new InvalidOperationException("reminder failure requested by the test");
        }

        probe.Record("reminder", Id.GetId(), reminderName, Encoding.UTF8.GetString(state ?? []));
        return Task.CompletedTask;
    }

    protected override Task OnActivateAsync()
    {
        probe.Activated(Id.GetId());
        return Task.CompletedTask;
    }

    protected override Task OnDeactivateAsync()
    {
        probe.Deactivated(Id.GetId());
        return Task.CompletedTask;
    }

    private static TimeSpan Period(ScheduleRequest request) =>
        request.PeriodMs < 0 ? Timeout.InfiniteTimeSpan : TimeSpan.FromMilliseconds(request.PeriodMs);
}

/// <summary>Which app instance has which actor id active, across apps; records double activations.</summary>
public sealed class ActivationLedger
{
    private readonly ConcurrentDictionary<string, string> _active = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _violations = new();
    private readonly ConcurrentQueue<(string Id, string App)> _activations = new();

    public IReadOnlyCollection<string> Violations => _violations;

    public IReadOnlyCollection<(string Id, string App)> Activations => _activations;

    public void Activate(string id, string app)
    {
        _activations.Enqueue((id, app));
        if (!_active.TryAdd(id, app))
        {
            _violations.Enqueue($"{id} activated on {app} while active on {_active.GetValueOrDefault(id)}");
        }
    }

    public void Deactivate(string id, string app)
    {
        if (!_active.TryRemove(new KeyValuePair<string, string>(id, app)))
        {
            _violations.Enqueue($"{id} deactivated on {app} but was not active there");
        }
    }

    /// <summary>An app process went away: its activations are gone with it.</summary>
    public void Forget(string app)
    {
        foreach (var (id, owner) in _active)
        {
            if (owner == app)
            {
                _active.TryRemove(new KeyValuePair<string, string>(id, owner));
            }
        }
    }

    public string? ActiveOn(string id) => _active.GetValueOrDefault(id);
}

/// <summary>What one app instance's actors did: events in order, gates the test releases, and overlap of turns per actor id.</summary>
public sealed class ActorProbe(string name, ActivationLedger ledger)
{
    private readonly Lock _gate = new();
    private readonly List<ProbeEvent> _events = [];
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _gates = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _inside = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _maxInside = new(StringComparer.Ordinal);
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _failReminders;

    public string Name => name;

    public IReadOnlyList<ProbeEvent> Events
    {
        get
        {
            lock (_gate)
            {
                return [.. _events];
            }
        }
    }

    /// <summary>The most turns seen inside one actor id at once.</summary>
    public int MaxInside(string id) => _maxInside.GetValueOrDefault(id);

    /// <summary>The next <paramref name="count"/> reminder deliveries throw.</summary>
    public void FailReminders(int count) => Interlocked.Exchange(ref _failReminders, count);

    public bool FailReminder() => Interlocked.Decrement(ref _failReminders) >= 0;

    public int Count(string kind, string id, string gate = "") => Events.Count(e => e.Kind == kind && e.Id == id && (gate.Length == 0 || e.Name == gate));

    public void Record(string kind, string id, string gateOrName = "", string data = "")
    {
        lock (_gate)
        {
            _events.Add(new ProbeEvent(kind, id, gateOrName, data));
            var changed = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            changed.TrySetResult();
        }
    }

    public void Activated(string id)
    {
        ledger.Activate(id, name);
        Record("activate", id);
    }

    public void Deactivated(string id)
    {
        ledger.Deactivate(id, name);
        Record("deactivate", id);
    }

    public IDisposable Enter(string id)
    {
        var inside = _inside.AddOrUpdate(id, 1, (_, n) => n + 1);
        _maxInside.AddOrUpdate(id, inside, (_, max) => Math.Max(max, inside));
        return new Exit(() => _inside.AddOrUpdate(id, 0, (_, n) => n - 1));
    }

    public Task GateAsync(string gate) => _gates.GetOrAdd(gate, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    public void Release(string gate) => _gates.GetOrAdd(gate, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    /// <summary>Waits until <paramref name="condition"/> holds for the recorded events (deadline <see cref="TestApp.Timeout"/>).</summary>
    public async Task WaitUntilAsync(Func<IReadOnlyList<ProbeEvent>, bool> condition, string what)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TestApp.Timeout);
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                if (condition([.. _events]))
                {
                    return;
                }

                changed = _changed.Task;
            }

            try
            {
                await changed.WaitAsync(timeout.Token);
            }
            catch (OperationCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"{name}: timed out waiting for {what}; events: {string.Join(", ", Events)}");
            }
        }
    }

    private sealed class Exit(Action action) : IDisposable
    {
        public void Dispose() => action();
    }
}

public sealed record ProbeEvent(string Kind, string Id, string Name, string Data);

/// <summary>An ASP.NET Core app hosting <see cref="CounterActor"/> with the Dapr SDK, pointed at its emulated sidecar.</summary>
internal sealed class ActorApp : IAsyncDisposable
{
    private readonly WebApplication _host;
    private int _stopped;

    private ActorApp(WebApplication host, ActorProbe probe)
    {
        _host = host;
        Probe = probe;
    }

    public ActorProbe Probe { get; }

    /// <summary>
    /// Starts the app on <paramref name="port"/>: <c>AddActors</c> with <c>ActorRuntimeOptions.HttpEndpoint</c> = the
    /// sidecar's <see cref="Sidecar.HttpEndpoint"/> and <c>DaprApiToken</c> = its API token (no process environment), and
    /// <c>MapActorsHandlers</c>. Requests the sidecar sends are recorded as "request" events (path, <c>dapr-api-token</c>).
    /// </summary>
    public static async Task<ActorApp> StartAsync(int port, Sidecar sidecar, string? apiToken, ActorProbe probe, Action<ActorRuntimeOptions>? configure = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, port));
        builder.Services.AddSingleton(probe);
        builder.Services.AddActors(options =>
        {
            options.Actors.RegisterActor<CounterActor>();
            options.HttpEndpoint = sidecar.HttpEndpoint;
            options.DaprApiToken = apiToken ?? string.Empty;
            configure?.Invoke(options);
        });
        var host = builder.Build();
        host.Use(async (context, next) =>
        {
            probe.Record("request", $"{context.Request.Method} {context.Request.Path}", context.Request.Headers["dapr-api-token"].ToString(), context.Request.Headers["dapr-caller-app-id"].ToString());
            await next();
        });
        host.MapActorsHandlers();
        await host.StartAsync(TestContext.Current.CancellationToken);
        return new ActorApp(host, probe);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 0)
        {
            await _host.StopAsync(CancellationToken.None);
            await _host.DisposeAsync();
        }
    }
}

/// <summary>
/// A cluster of sidecars: one per actor-hosting app id (each with an app port chosen up front, an API token and an app
/// token) and a "client" sidecar without an app; apps start, stop and restart on their ports.
/// </summary>
internal sealed class ActorHarness : IAsyncDisposable
{
    public const string Client = "client";
    public const string ActorType = "CounterActor";

    private readonly Dictionary<string, int> _ports;
    private readonly Dictionary<string, ActorApp> _apps = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _instances = new(StringComparer.Ordinal);
    private readonly Action<ActorRuntimeOptions>? _configure;

    private ActorHarness(SidecarCluster cluster, Dictionary<string, int> ports, Action<ActorRuntimeOptions>? configure)
    {
        Cluster = cluster;
        _ports = ports;
        _configure = configure;
    }

    public SidecarCluster Cluster { get; }

    public ActivationLedger Ledger { get; } = new();

    public static string ApiToken(string appId) => "api-" + appId;

    public static string AppToken(string appId) => "app-" + appId;

    /// <summary>
    /// Starts the sidecars and one app instance per id in <paramref name="hostIds"/>; waits until every sidecar read its
    /// app. App ports are chosen before the sidecars start (the sidecar needs them), so another listener on the machine
    /// can take one in between: then the whole start is tried again with new ports.
    /// </summary>
    public static async Task<ActorHarness> StartAsync(
        IReadOnlyList<string> hostIds,
        Action<ActorRuntimeOptions>? configure = null,
        string? stateDirectory = null,
        TimeSpan? placementTimeout = null)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await StartOnceAsync(hostIds, configure, stateDirectory, placementTimeout);
            }
            catch (IOException ex) when (attempt < 5 && ex.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException)
            {
                // A chosen app port was taken meanwhile: choose again.
            }
        }
    }

    private static async Task<ActorHarness> StartOnceAsync(
        IReadOnlyList<string> hostIds,
        Action<ActorRuntimeOptions>? configure,
        string? stateDirectory,
        TimeSpan? placementTimeout)
    {
        var ports = hostIds.ToDictionary(id => id, _ => TestApp.FreePort(), StringComparer.Ordinal);
        var cluster = await SidecarCluster.StartAsync(
            new SidecarClusterOptions
            {
                Apps =
                [
                    .. hostIds.Select(id => new SidecarApp { AppId = id, AppPort = ports[id], ApiToken = ApiToken(id), AppApiToken = AppToken(id) }),
                    new SidecarApp { AppId = Client, ApiToken = ApiToken(Client) },
                ],
                ActorStateDirectory = stateDirectory,
                ActorReminderRetryDelay = TimeSpan.FromMilliseconds(50),
                ActorPlacementTimeout = placementTimeout ?? TimeSpan.FromSeconds(10),
            },
            TestContext.Current.CancellationToken);
        var harness = new ActorHarness(cluster, ports, configure);
        try
        {
            foreach (var id in hostIds)
            {
                await harness.StartAppAsync(id);
            }

            await cluster.WaitForAppsAsync(TestContext.Current.CancellationToken).WaitAsync(TestApp.Timeout, TestContext.Current.CancellationToken);
            return harness;
        }
        catch
        {
            await harness.DisposeAsync();
            throw;
        }
    }

    /// <summary>The running app instance of <paramref name="appId"/>.</summary>
    public ActorApp this[string appId] => _apps[appId];

    /// <summary>Starts a new app instance (a new probe, named <c>appId#n</c>) on the app id's port.</summary>
    public async Task<ActorApp> StartAppAsync(string appId)
    {
        var instance = _instances[appId] = _instances.GetValueOrDefault(appId) + 1;
        var app = await ActorApp.StartAsync(_ports[appId], Cluster[appId], ApiToken(appId), new ActorProbe($"{appId}#{instance}", Ledger), _configure);
        _apps[appId] = app;
        return app;
    }

    /// <summary>Stops the app instance of <paramref name="appId"/> (its activations vanish with it, as with a killed process).</summary>
    public async Task StopAppAsync(string appId)
    {
        var app = _apps[appId];
        _apps.Remove(appId);
        await app.DisposeAsync();
        Ledger.Forget(app.Probe.Name);
    }

    /// <summary>A non-remoting proxy for actor <paramref name="id"/> through the sidecar of <paramref name="via"/>.</summary>
    public ActorProxy Proxy(string id, string via = Client) =>
        ActorProxy.Create(new ActorId(id), ActorType, ProxyOptions(via));

    /// <summary>A remoting proxy for actor <paramref name="id"/> through the sidecar of <paramref name="via"/>.</summary>
    public ICounterActor Remoting(string id, string via = Client) =>
        ActorProxy.Create<ICounterActor>(new ActorId(id), ActorType, ProxyOptions(via));

    /// <summary>What an app points <c>ActorProxyOptions</c> at: the sidecar's endpoint and API token.</summary>
    public ActorProxyOptions ProxyOptions(string via) => new()
    {
        HttpEndpoint = Cluster[via].HttpEndpoint,
        DaprApiToken = ApiToken(via),
        RequestTimeout = TestApp.Timeout,
    };

    /// <summary>A raw HTTP client for the sidecar of <paramref name="appId"/> with its API token.</summary>
    public HttpClient Http(string appId) => Cluster[appId].ClientFor(ApiToken(appId));

    public async ValueTask DisposeAsync()
    {
        await Cluster.DisposeAsync();
        foreach (var app in _apps.Values)
        {
            await app.DisposeAsync();
        }
    }
}
