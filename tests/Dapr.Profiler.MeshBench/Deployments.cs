using System.Globalization;
using Dapr.Profiler.DaprSidecar.Emulator;
using Dapr.Profiler.Mesh;

namespace Dapr.Profiler.MeshBench;

/// <summary>A running deployment the bench pushes to: its public ingest URL; disposing stops everything and deletes its files.</summary>
internal interface IDeployment : IAsyncDisposable
{
    Uri IngestUrl { get; }

    /// <summary>What the deployment's processes last printed, for failure messages.</summary>
    string Logs { get; }
}

/// <summary>The all-in-one server: one process, every service in it.</summary>
internal sealed class AllInOne : IDeployment
{
    private readonly DirectoryInfo _root;
    private readonly ChildProcess _server;

    private AllInOne(DirectoryInfo root, ChildProcess server, Uri url)
    {
        _root = root;
        _server = server;
        IngestUrl = url;
    }

    public Uri IngestUrl { get; }

    public string Logs => $"--- {_server.Name} ---\n{_server.Tail}";

    public static async Task<AllInOne> StartAsync(IReadOnlyList<string> extraArgs)
    {
        var root = Directory.CreateTempSubdirectory("dprof-meshbench-aio-");
        ChildProcess? server = null;
        try
        {
            var port = ChildProcess.FreePorts(1)[0];
            var url = new Uri(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}/"));
            server = ChildProcess.Start(
                "all-in-one",
                "Dapr.Profiler.Server.dll",
                ["--urls", url.ToString().TrimEnd('/'), "--data-dir", root.FullName, .. extraArgs]);
            await server.WaitReadyAsync(url, TimeSpan.FromSeconds(60));
            return new AllInOne(root, server, url);
        }
        catch
        {
            if (server is not null)
            {
                await server.DisposeAsync();
            }

            TempDirectories.Delete(root);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        TempDirectories.Delete(_root);
    }
}

/// <summary>
/// The Dapr mesh with the test-only sidecar emulator standing in for daprd (the essential part of the functional
/// tests' <c>MeshCluster</c>): one sidecar per app-id in this process, a shared pub/sub bus, objects through the
/// <c>objectstore</c> localstorage binding, and each service host as its own process (<c>--target ID --mesh dapr</c>,
/// <c>DAPR_HTTP_PORT</c> = its sidecar, both API tokens set).
/// </summary>
internal sealed class DaprMesh : IDeployment
{
    /// <summary>The app-ids run as processes, one each (as MeshCluster has them).</summary>
    public static readonly IReadOnlyList<string> AppIds =
    [
        DaprNames.AppIds.Distributor,
        DaprNames.AppIds.SegmentWriter,
        DaprNames.AppIds.Metastore,
        DaprNames.AppIds.QueryFrontend,
        DaprNames.AppIds.QueryBackend,
    ];

    private readonly DirectoryInfo _root;
    private readonly Dictionary<string, ChildProcess> _processes = new(StringComparer.Ordinal);
    private SidecarCluster? _sidecars;

    private DaprMesh(DirectoryInfo root)
    {
        _root = root;
    }

    public Uri IngestUrl { get; private set; } = new("http://127.0.0.1/");

    public string Logs => string.Join('\n', _processes.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"--- {p.Key} ---\n{p.Value.Tail}"));

    private string Bucket => Path.Combine(_root.FullName, "shared", "bucket");

    public static async Task<DaprMesh> StartAsync(IReadOnlyList<string> extraArgs)
    {
        var mesh = new DaprMesh(Directory.CreateTempSubdirectory("dprof-meshbench-mesh-"));
        try
        {
            var ports = ChildProcess.FreePorts(AppIds.Count);
            var appPorts = AppIds.Select((id, i) => (id, port: ports[i])).ToDictionary(p => p.id, p => p.port, StringComparer.Ordinal);
            Directory.CreateDirectory(mesh.Bucket);
            mesh._sidecars = await SidecarCluster.StartAsync(new SidecarClusterOptions
            {
                Apps = [.. AppIds.Select(id => new SidecarApp { AppId = id, AppPort = appPorts[id], ApiToken = ApiToken(id), AppApiToken = AppApiToken(id) })],
                PubSubNames = [DaprNames.Components.PubSub],
                LocalStorageBindings = new Dictionary<string, string> { [DaprNames.Components.ObjectStore] = mesh.Bucket },
                AppStartupTimeout = TimeSpan.FromSeconds(90),
            });
            foreach (var id in AppIds)
            {
                mesh.StartApp(id, appPorts[id], extraArgs);
            }

            await Task.WhenAll(AppIds.Select(id => mesh._processes[id].WaitReadyAsync(AppUrl(appPorts[id]), TimeSpan.FromSeconds(90))));
            await mesh._sidecars.WaitForAppsAsync().WaitAsync(TimeSpan.FromSeconds(60));
            mesh.IngestUrl = AppUrl(appPorts[DaprNames.AppIds.Distributor]);
            return mesh;
        }
        catch
        {
            await mesh.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Task.WhenAll(_processes.Values.Select(p => p.DisposeAsync().AsTask()));
        _processes.Clear();
        if (_sidecars is not null)
        {
            await _sidecars.DisposeAsync();
            _sidecars = null;
        }

        TempDirectories.Delete(_root);
    }

    private static string ApiToken(string appId) => "dapr-token-" + appId;

    private static string AppApiToken(string appId) => "app-token-" + appId;

    private static Uri AppUrl(int port) => new(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}/"));

    private void StartApp(string appId, int port, IReadOnlyList<string> extraArgs)
    {
        var dataDir = Path.Combine(_root.FullName, appId);
        Directory.CreateDirectory(dataDir);
        var sidecars = _sidecars ?? throw new InvalidOperationException("the sidecars have not started");
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["DAPR_HTTP_PORT"] = sidecars[appId].HttpPort.ToString(CultureInfo.InvariantCulture),
            ["DAPR_API_TOKEN"] = ApiToken(appId),
            ["APP_API_TOKEN"] = AppApiToken(appId),
        };
        string[] args =
        [
            "--urls", AppUrl(port).ToString().TrimEnd('/'),
            "--data-dir", dataDir,
            "--target", appId,
            "--mesh", "dapr",
            "--ObjectStorage:Provider=Dapr",
            $"--ObjectStorage:Dapr:BindingName={DaprNames.Components.ObjectStore}",
            "--ObjectStorage:Dapr:BindingType=localstorage",
            $"--ObjectStorage:Dapr:LocalStorageRootPath={Bucket}",
            .. extraArgs,
        ];
        _processes[appId] = ChildProcess.Start(appId, "Dapr.Profiler.Server.dll", args, environment);
    }
}

/// <summary>Best-effort recursive deletion of the bench's temp directories.</summary>
internal static class TempDirectories
{
    public static void Delete(DirectoryInfo directory)
    {
        for (var attempt = 0; attempt < 5; attempt++)
        {
            try
            {
                directory.Refresh();
                if (directory.Exists)
                {
                    directory.Delete(recursive: true);
                }

                return;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                Thread.Sleep(100);
            }
        }

        Console.Error.WriteLine($"warning: could not delete {directory.FullName}");
    }
}
