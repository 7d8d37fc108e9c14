using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Dapr.Profiler.DaprSidecar.Emulator;
using Dapr.Profiler.Mesh;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Dapr.Profiler.Server.FunctionalTests.Hosting;

/// <summary>
/// The mesh mode for real: the sidecar emulator with one sidecar per app-id, and each service host as its own
/// process (<c>--target APP --mesh dapr</c>, <c>DAPR_HTTP_PORT</c> = its sidecar, both API tokens set). Objects go
/// through the sidecars' <c>objectstore</c> localstorage binding rooted at <c>{Shared}/bucket</c> (the same layout
/// as the filesystem store, so tests can read it); each process keeps its own data directory (the metastore's log is in its own). App ports are picked before the sidecars start (daprd too
/// needs <c>--app-port</c> up front), so a process restarts on the port its sidecar forwards to.
/// </summary>
public sealed class MeshCluster : IAsyncDisposable
{
    /// <summary>The app-ids run as processes, one each (compaction off).</summary>
    public static readonly IReadOnlyList<string> AppIds =
    [
        DaprNames.AppIds.Distributor,
        DaprNames.AppIds.SegmentWriter,
        DaprNames.AppIds.Metastore,
        DaprNames.AppIds.QueryFrontend,
        DaprNames.AppIds.QueryBackend,
    ];

    /// <summary>Every app-id, compaction's included: the scheduler's actors run on the Dapr SDK behind the emulator.</summary>
    public static readonly IReadOnlyList<string> AppIdsWithCompaction =
        [.. AppIds, DaprNames.AppIds.CompactionScheduler, DaprNames.AppIds.CompactionWorker];

    /// <summary>The app-id of the test's own app that subscribes to the dead-letter topic.</summary>
    public const string DeadLetterWatcherId = "deadletter-watcher";

    private readonly TempDirectory _root;
    private readonly Dictionary<string, int> _appPorts;
    private readonly string[] _extraArgs;
    private readonly ConcurrentDictionary<string, ServerProcess> _processes = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _formerLogs = new();
    private readonly WebApplication _watcher;
    private SidecarCluster? _sidecars;

    private MeshCluster(TempDirectory root, Dictionary<string, int> appPorts, string[] extraArgs, WebApplication watcher, ConcurrentQueue<byte[]> deadLetters)
    {
        DeadLetters = deadLetters;
        _root = root;
        _appPorts = appPorts;
        _extraArgs = extraArgs;
        _watcher = watcher;
    }

    /// <summary>The sidecars.</summary>
    public SidecarCluster Sidecars => _sidecars ?? throw new InvalidOperationException("not started");

    /// <summary>Where the shared bucket is: <c>{Shared}/bucket</c> (a data directory as <c>Bucket</c> reads it).</summary>
    public string Shared => Path.Combine(_root.Path, "shared");

    /// <summary>The bodies delivered on <c>profiles-deadletter</c> to the watcher app, in order.</summary>
    public ConcurrentQueue<byte[]> DeadLetters { get; }

    /// <summary>The process of <paramref name="appId"/>.</summary>
    public ServerProcess this[string appId] => _processes[appId];

    /// <summary>The distributor's app port: the public ingest API.</summary>
    public ServerProcess Distributor => this[DaprNames.AppIds.Distributor];

    /// <summary>The query-frontend's app port: the public query API.</summary>
    public ServerProcess QueryFrontend => this[DaprNames.AppIds.QueryFrontend];

    /// <summary>What every process logged, the killed ones included, for assertion messages.</summary>
    public string Logs => string.Join(
        "\n",
        _formerLogs.Concat(_processes.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"--- {p.Key} (pid {p.Value.ProcessId}) ---\n{p.Value.Logs}")));

    /// <summary>The API token the test sends to the sidecar of <paramref name="appId"/> (its <c>DAPR_API_TOKEN</c>).</summary>
    public static string ApiToken(string appId) => "dapr-token-" + appId;

    /// <summary>The token the sidecar of <paramref name="appId"/> sends to its app (<c>APP_API_TOKEN</c>).</summary>
    public static string AppApiToken(string appId) => "app-token-" + appId;

    /// <summary>
    /// A view of <paramref name="appId"/> through the metastore's sidecar: <c>ServerApi</c>'s internal-method calls
    /// become <c>POST /v1.0/invoke/{appId}/method/{method}</c> (the sidecar adds the app token), and the data
    /// directory is the shared one, so <c>Bucket</c> reads the shared bucket.
    /// </summary>
    public IProfilerServer ThroughSidecar(string appId, string viaAppId)
    {
        var address = new Uri(Sidecars[viaAppId].BaseAddress, $"/v1.0/invoke/{appId}/method/");
        var client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Add("dapr-api-token", ApiToken(viaAppId));
        return new SidecarView(address, Shared, client, () => Logs);
    }

    /// <summary>Starts the sidecars and every app's process (in parallel), and waits until all are ready.</summary>
    public static Task<MeshCluster> StartAsync(params string[] extraArgs) =>
        StartAsync(AppIds, ["--Compaction:Enabled=false", .. extraArgs]);

    /// <summary>Starts the given app-ids as processes behind their sidecars, and waits until all are ready.</summary>
    public static async Task<MeshCluster> StartAsync(IReadOnlyList<string> appIds, params string[] extraArgs)
    {
        var root = new TempDirectory();
        WebApplication? watcher = null;
        MeshCluster? cluster = null;
        try
        {
            var ports = FreePorts(appIds.Count);
            var appPorts = appIds.Select((id, i) => (id, ports[i])).ToDictionary(p => p.id, p => p.Item2, StringComparer.Ordinal);
            var deadLetters = new ConcurrentQueue<byte[]>();
            watcher = await StartWatcherAsync(deadLetters);
            cluster = new MeshCluster(root, appPorts, extraArgs, watcher, deadLetters);
            var apps = appIds
                .Select(id => new SidecarApp { AppId = id, AppPort = appPorts[id], ApiToken = ApiToken(id), AppApiToken = AppApiToken(id) })
                .Append(new SidecarApp { AppId = DeadLetterWatcherId, AppPort = new Uri(watcher.Urls.Single()).Port })
                .ToList();
            cluster._sidecars = await SidecarCluster.StartAsync(new SidecarClusterOptions
            {
                Apps = apps,
                PubSubNames = [DaprNames.Components.PubSub],
                // Object storage goes through the sidecars' localstorage binding, as components/objectstore.yaml has it.
                LocalStorageBindings = new Dictionary<string, string> { [DaprNames.Components.ObjectStore] = Path.Combine(cluster.Shared, "bucket") },
                AppStartupTimeout = TimeSpan.FromSeconds(90),
            });
            await Task.WhenAll(appIds.Select(cluster.StartAppAsync));
            await cluster.Sidecars.WaitForAppsAsync().WaitAsync(TimeSpan.FromSeconds(60));
            return cluster;
        }
        catch
        {
            if (cluster is not null)
            {
                await cluster.DisposeAsync();
            }
            else
            {
                if (watcher is not null)
                {
                    await watcher.DisposeAsync();
                }

                root.Dispose();
            }

            throw;
        }
    }

    /// <summary>Starts the process of <paramref name="appId"/> on its port (again, after <see cref="KillHardAsync"/>).</summary>
    public async Task StartAppAsync(string appId)
    {
        var dataDir = Path.Combine(_root.Path, appId);
        Directory.CreateDirectory(dataDir);
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["DAPR_HTTP_PORT"] = Sidecars[appId].HttpPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["DAPR_API_TOKEN"] = ApiToken(appId),
            ["APP_API_TOKEN"] = AppApiToken(appId),
        };
        string[] args =
        [
            "--urls", $"http://127.0.0.1:{_appPorts[appId]}",
            "--target", appId,
            "--mesh", "dapr",
            "--ObjectStorage:Provider=Dapr",
            $"--ObjectStorage:Dapr:BindingName={DaprNames.Components.ObjectStore}",
            "--ObjectStorage:Dapr:BindingType=localstorage",
            $"--ObjectStorage:Dapr:LocalStorageRootPath={Path.Combine(Shared, "bucket")}",
            .. _extraArgs,
        ];
        var process = await ServerProcess.StartAsync(dataDir, environment, args);
        _processes[appId] = process;
    }

    /// <summary>SIGKILLs the process of <paramref name="appId"/>; its logs stay in <see cref="Logs"/>.</summary>
    public async Task KillHardAsync(string appId)
    {
        if (_processes.TryRemove(appId, out var process))
        {
            process.KillHard();
            _formerLogs.Enqueue($"--- {appId} (pid {process.ProcessId}, killed) ---\n{process.Logs}");
            await process.DisposeAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Task.WhenAll(_processes.Values.Select(p => p.DisposeAsync().AsTask()));
        _processes.Clear();
        if (_sidecars is not null)
        {
            await _sidecars.DisposeAsync();
        }

        await _watcher.StopAsync(CancellationToken.None);
        await _watcher.DisposeAsync();
        _root.Dispose();
    }

    /// <summary>Free loopback ports: bound to port 0 together (so they differ), then released for the apps.</summary>
    private static int[] FreePorts(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        try
        {
            foreach (var listener in listeners)
            {
                listener.Start();
            }

            return listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        }
        finally
        {
            foreach (var listener in listeners)
            {
                listener.Stop();
            }
        }
    }

    /// <summary>An app of the test's own: subscribes to <c>profiles-deadletter</c> and keeps what arrives.</summary>
    private static async Task<WebApplication> StartWatcherAsync(ConcurrentQueue<byte[]> deadLetters)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var subscriptions = JsonSerializer.Serialize(new[]
        {
            new { pubsubname = DaprNames.Components.PubSub, topic = DaprNames.Topics.ProfilesDeadLetter, route = "/dead" },
        });
        app.MapGet("/dapr/subscribe", () => Results.Text(subscriptions, "application/json"));
        app.MapPost("/dead", async (HttpContext context) =>
        {
            using var buffer = new MemoryStream();
            await context.Request.Body.CopyToAsync(buffer);
            deadLetters.Enqueue(buffer.ToArray());
            return Results.Json(new { status = "SUCCESS" });
        });
        await app.StartAsync();
        return app;
    }

    /// <summary>A process reached through a sidecar's invoke API.</summary>
    private sealed class SidecarView(Uri baseAddress, string dataDirectory, HttpClient client, Func<string> logs) : IProfilerServer
    {
        public Uri BaseAddress => baseAddress;

        public string DataDirectory => dataDirectory;

        public HttpClient Client => client;

        public string Logs => logs();

        public ValueTask DisposeAsync()
        {
            client.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
