namespace Dapr.Profiler.DaprSidecar.Emulator;

/// <summary>One process hosting one emulated sidecar per app id, with a shared pub/sub bus and shared bindings.</summary>
/// <remarks>
/// <para><b>Actors</b> (reference §5), as the Dapr .NET SDK (1.19) calls them over HTTP. Each sidecar reads its app's
/// <c>GET /dapr/config</c> at startup (<c>entities</c>, <c>actorIdleTimeout</c>, <c>actorScanInterval</c>,
/// <c>drainOngoingCallTimeout</c>, <c>reentrancy</c>, <c>entitiesConfig</c>); the cluster keeps the placement table
/// (type → hosting sidecars) and places each id on one host by rendezvous hashing over the hosts that are up. Served on
/// every sidecar:</para>
/// <list type="bullet">
/// <item><c>GET|POST|PUT|DELETE /v1.0/actors/{type}/{id}/method/{method}</c> → <c>PUT /actors/{type}/{id}/method/{method}</c> on
/// the placed app (body, content type and caller headers such as <c>X-DaprRequestHeader</c>, plus <c>dapr-caller-app-id</c>,
/// the app token, <c>Dapr-Reentrancy-Id</c> when the type enables reentrancy) in the actor's turn. A 200 (or any status
/// with <c>X-DaprErrorResponseHeader</c>) is relayed with headers and body; other statuses → <c>500 ERR_ACTOR_INVOKE_METHOD</c>;
/// no host of the type within <see cref="SidecarClusterOptions.ActorPlacementTimeout"/> → <c>500 ERR_ACTOR_INVOKE_METHOD</c>
/// "did not find address for actor"; a refused connection takes the host out of placement and the call goes to the next.</item>
/// <item><c>GET /v1.0/actors/{type}/{id}/state/{key}</c> → 200 with the stored JSON (and <c>metadata.ttlExpireTime</c>) or 204;
/// <c>PUT|POST /v1.0/actors/{type}/{id}/state</c> with <c>[{"operation":"upsert"|"delete","request":{"key","value","metadata":{"ttlInSeconds"}}}]</c>
/// applied atomically → 204. Only where the actor is active or placed, else <c>400 ERR_ACTOR_INSTANCE_MISSING</c>.
/// State is kept per type and id in the cluster (it outlives app restarts; with
/// <see cref="SidecarClusterOptions.ActorStateDirectory"/> also the emulator).</item>
/// <item><c>PUT|POST|GET|DELETE /v1.0/actors/{type}/{id}/reminders/{name}</c>: <c>{"dueTime","period","ttl","data","overwrite"}</c>
/// (Go durations, ISO 8601 <c>PT5S</c>/<c>R3/PT1S</c>, RFC 3339) → 204; 409 when <c>overwrite</c> is false and it exists; GET →
/// <c>{actorID,actorType,data,dueTime,period,ttl}</c> or <c>404 ERR_ACTOR_REMINDER_NOT_FOUND</c>; DELETE → 204; on a sidecar whose
/// app does not host the type → <c>403 ERR_ACTOR_REMINDER_NON_HOSTED</c>. Durable in the cluster: fired as
/// <c>PUT /actors/{type}/{id}/method/remind/{name}</c> <c>{"data","dueTime","period"}</c> (original strings) on the placed app in
/// the actor's turn, whichever app process or sidecar hosts it by then; a one-shot is removed after a 200, a failed attempt
/// (no host, app down, non-200) is tried again after <see cref="SidecarClusterOptions.ActorReminderRetryDelay"/>, periods repeat
/// (missed occurrences are not made up), <c>Rn/</c> and ttl end them, <c>X-DaprReminderCancel: true</c> removes them.</item>
/// <item><c>PUT|POST|DELETE /v1.0/actors/{type}/{id}/timers/{name}</c>: <c>{"dueTime","period","ttl","callback","data"}</c> → 204
/// (<c>500 ERR_ACTOR_TIMER_CREATE</c> where the type is not hosted); fired as <c>PUT /actors/{type}/{id}/method/timer/{name}</c>
/// <c>{"data","callback","dueTime","period"}</c>, not retried, and ended with the sidecar they were created on or when its app
/// is found gone.</item>
/// </list>
/// <para>Turn-based concurrency: method calls, reminders, timers and deactivations of one actor id run one at a time
/// across the cluster. One activation per id: an actor is remembered as active on the host that last served it; when its
/// placement moves (a host joined) it is deactivated there (<c>DELETE /actors/{type}/{id}</c>) before anything runs on the new
/// host. When a sidecar is disposed or its app refuses connections, its activations and timers are dropped without a call
/// and its ids move; a sidecar whose app was found gone polls the port and re-reads <c>/dapr/config</c> to rejoin. Actors idle
/// for <c>actorIdleTimeout</c> are deactivated (reminders and timers keep firing and reactivate them). Reentrancy (opt-in)
/// lets a call carrying the turn's <c>Dapr-Reentrancy-Id</c> in, up to <c>maxStackDepth</c>.</para>
/// <para>Point the SDK at a sidecar with <see cref="Sidecar.HttpEndpoint"/> (no trailing slash): <c>ActorRuntimeOptions.HttpEndpoint</c>
/// (or <c>DAPR_HTTP_ENDPOINT</c>/<c>DAPR_HTTP_PORT</c> in the app's configuration) and <c>ActorProxyOptions.HttpEndpoint</c>, with
/// <c>DaprApiToken</c> set to the sidecar's <see cref="SidecarApp.ApiToken"/> if it has one.</para>
/// <para>Pinned by <c>ActorTests</c> against a real SDK actor app (<c>AddActors</c> + <c>MapActorsHandlers</c>) and SDK proxies
/// (remoting and non-remoting): the method round trip with the app token and caller id; SDK-saved state read back by a new
/// app process and by a new emulator on the same state directory; a reminder firing with its data across an app restart and
/// a sidecar restart, stopping when unregistered; a one-shot reminder retried after failures, then removed; timers firing,
/// stopping when unregistered and ending with their sidecar; one turn at a time per id while other ids run; two app-ids
/// hosting the type without a double activation as one leaves and rejoins; unknown types and methods; the error answers of
/// the state, reminder and timer calls; idle deactivation; reentrancy; the time formats.</para>
/// </remarks>
public sealed class SidecarCluster : IAsyncDisposable
{
    private readonly Dictionary<string, Sidecar> _sidecars = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    private SidecarCluster(SidecarClusterOptions options)
    {
        Options = options;
        Bus = new PubSubBus(options);
        var bindings = new Dictionary<string, IOutputBinding>(StringComparer.Ordinal);
        foreach (var (name, rootPath) in options.LocalStorageBindings)
        {
            bindings.Add(name, new LocalStorageBinding(name, rootPath));
        }

        foreach (var (name, s3) in options.S3Bindings)
        {
            bindings.Add(name, new S3Binding(s3));
        }

        Bindings = bindings;
        Actors = new ActorService(this);
        AppClient = new HttpClient(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            UseCookies = false,
            AutomaticDecompression = System.Net.DecompressionMethods.None,
            ConnectTimeout = TimeSpan.FromSeconds(5),
        })
        {
            Timeout = System.Threading.Timeout.InfiniteTimeSpan,
        };
    }

    /// <summary>The sidecars, in the order of <see cref="SidecarClusterOptions.Apps"/>.</summary>
    public IReadOnlyList<Sidecar> Sidecars { get; private set; } = [];

    internal SidecarClusterOptions Options { get; }

    internal PubSubBus Bus { get; }

    internal IReadOnlyDictionary<string, IOutputBinding> Bindings { get; }

    internal HttpClient AppClient { get; }

    internal ActorService Actors { get; }

    /// <summary>The sidecar of <paramref name="appId"/>.</summary>
    public Sidecar this[string appId] => Find(appId) ?? throw new KeyNotFoundException($"no sidecar for app id '{appId}'");

    /// <summary>Starts every sidecar's API port; each then waits for its app in the background (see <see cref="WaitForAppsAsync"/>).</summary>
    public static async Task<SidecarCluster> StartAsync(SidecarClusterOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var cluster = new SidecarCluster(options);
        try
        {
            cluster.Actors.Start();
            var sidecars = new List<Sidecar>();
            foreach (var app in options.Apps)
            {
                var sidecar = new Sidecar(cluster, app);
                lock (cluster._gate)
                {
                    cluster._sidecars[app.AppId] = sidecar;
                }

                sidecars.Add(sidecar);
                await sidecar.StartAsync(cancellationToken);
            }

            cluster.Sidecars = sidecars;
            foreach (var sidecar in sidecars)
            {
                sidecar.BeginAppChannel();
            }

            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Completes when every sidecar has read its app's subscriptions (every <c>/v1.0/healthz</c> = 204).</summary>
    public Task WaitForAppsAsync(CancellationToken cancellationToken = default) =>
        Task.WhenAll(Sidecars.Select(s => s.AppChannelReady)).WaitAsync(cancellationToken);

    /// <summary>
    /// Disposes the sidecar of <paramref name="appId"/> (its activations and timers end, its actor ids move) and starts a
    /// new one for the same app on the same HTTP port, which waits for the app and reads <c>/dapr/config</c> again, as a
    /// restarted daprd does. Actor state and reminders live in the cluster and carry on.
    /// </summary>
    public async Task<Sidecar> RestartSidecarAsync(string appId, CancellationToken cancellationToken = default)
    {
        var old = this[appId];
        var port = old.HttpPort;
        await old.DisposeAsync();
        var sidecar = new Sidecar(this, old.App);
        await sidecar.StartAsync(port, cancellationToken);
        lock (_gate)
        {
            _sidecars[appId] = sidecar;
            Sidecars = [.. Sidecars.Select(s => ReferenceEquals(s, old) ? sidecar : s)];
        }

        sidecar.BeginAppChannel();
        return sidecar;
    }

    internal Sidecar? Find(string appId)
    {
        lock (_gate)
        {
            return _sidecars.GetValueOrDefault(appId);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        List<Sidecar> sidecars;
        lock (_gate)
        {
            sidecars = [.. _sidecars.Values];
        }

        foreach (var sidecar in sidecars)
        {
            await sidecar.DisposeAsync();
        }

        await Actors.DisposeAsync();

        await Bus.DisposeAsync();
        AppClient.Dispose();
        foreach (var binding in Bindings.Values.OfType<IDisposable>())
        {
            binding.Dispose();
        }
    }
}
