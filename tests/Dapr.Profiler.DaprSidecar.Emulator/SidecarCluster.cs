namespace Dapr.Profiler.DaprSidecar.Emulator;

/// <summary>One process hosting one emulated sidecar per app id, with a shared pub/sub bus and shared bindings.</summary>
public sealed class SidecarCluster : IAsyncDisposable
{
    private readonly Dictionary<string, Sidecar> _sidecars = new(StringComparer.Ordinal);

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

    /// <summary>The sidecar of <paramref name="appId"/>.</summary>
    public Sidecar this[string appId] => _sidecars.TryGetValue(appId, out var sidecar)
        ? sidecar
        : throw new KeyNotFoundException($"no sidecar for app id '{appId}'");

    /// <summary>Starts every sidecar's API port; each then waits for its app in the background (see <see cref="WaitForAppsAsync"/>).</summary>
    public static async Task<SidecarCluster> StartAsync(SidecarClusterOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var cluster = new SidecarCluster(options);
        try
        {
            var sidecars = new List<Sidecar>();
            foreach (var app in options.Apps)
            {
                var sidecar = new Sidecar(cluster, app);
                cluster._sidecars[app.AppId] = sidecar;
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

    internal Sidecar? Find(string appId) => _sidecars.GetValueOrDefault(appId);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        foreach (var sidecar in _sidecars.Values)
        {
            await sidecar.DisposeAsync();
        }

        await Bus.DisposeAsync();
        AppClient.Dispose();
        foreach (var binding in Bindings.Values.OfType<IDisposable>())
        {
            binding.Dispose();
        }
    }
}
