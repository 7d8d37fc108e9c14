using Dapr.Profiler.Compaction;
using Dapr.Profiler.Dapr;
using Dapr.Profiler.Distributor;
using Dapr.Profiler.Mesh;
using Dapr.Profiler.Metastore;
using Dapr.Profiler.Metastore.Client;
using Dapr.Profiler.ObjectStorage;
using Dapr.Profiler.QueryBackend;
using Dapr.Profiler.QueryFrontend;
using Dapr.Profiler.SegmentWriter;
using Microsoft.Extensions.Configuration.Memory;

namespace Dapr.Profiler.Server;

/// <summary>
/// Wires the services selected by <c>--target</c> into one host, connected by the mesh selected by <c>--mesh</c>.
/// </summary>
/// <remarks>
/// <para>Which app-id serves what (each is a <c>--target</c> value; <c>all</c> = every one, in one process):</para>
/// <list type="table">
/// <listheader><term>app-id</term><description>serves (app side) / needs</description></listheader>
/// <item><term><c>distributor</c></term><description>public ingest: <c>POST /ingest</c>, <c>/pyroscope/ingest</c>,
/// <c>/push.v1.PusherService/Push</c>; pub/sub topic <c>profiles</c> (route <c>/events/profiles</c>, dead letters to
/// <c>profiles-deadletter</c>). Invokes <c>segment-writer</c>. No object store, no data directory.</description></item>
/// <item><term><c>segment-writer</c></term><description><c>POST /segmentwriter.v1.SegmentWriterService/Push</c>.
/// Writes segments to the object store, invokes <c>metastore</c>.</description></item>
/// <item><term><c>metastore</c></term><description><c>POST /metastore.v1.IndexService/*</c>,
/// <c>/metastore.v1.MetadataQueryService/*</c>, <c>/metastore.v1.TenantService/*</c>. Keeps its log under
/// <c>--data-dir</c>; uses the object store for DLQ recovery. Readiness waits for its log recovery.</description></item>
/// <item><term><c>query-frontend</c></term><description>public query API: <c>/querier.v1.QuerierService/*</c>,
/// <c>GET /pyroscope/render</c>, <c>/pyroscope/render-diff</c>, <c>/pyroscope/label-values</c>. Invokes
/// <c>metastore</c> and <c>query-backend</c>. No object store, no data directory.</description></item>
/// <item><term><c>query-backend</c></term><description><c>POST /querybackend.v1.QueryBackendService/Invoke</c>.
/// Reads blocks from the object store.</description></item>
/// </list>
/// <para>
/// Every process also serves <c>GET /ready</c> and <c>GET /metrics</c>. Under Dapr it serves
/// <c>GET /dapr/subscribe</c> (the subscriptions of its hosted services; empty for all but the distributor) and
/// checks <c>APP_API_TOKEN</c> on every route Dapr calls; the public ingest and query routes above are exempt, as
/// Pyroscope clients and Grafana call them directly, not through the sidecar.
/// </para>
/// </remarks>
public static class ServerSetup
{
    /// <summary>The app-ids whose services read or write the object store.</summary>
    private static readonly string[] ObjectStoreUsers =
        [DaprNames.AppIds.SegmentWriter, DaprNames.AppIds.Metastore, DaprNames.AppIds.QueryBackend, DaprNames.AppIds.CompactionWorker];

    /// <summary>Public routes (and route prefixes) clients call directly, exempt from the Dapr app-token check.</summary>
    private static readonly PathString[] PublicPathPrefixes =
    [
        .. DistributorExtensions.IngestRoutes.Select(r => new PathString(r)),
        new(PushApi.Route),
        new(ConnectApi.ServicePath),
        new("/pyroscope"),
        new("/metrics"),
    ];

    public static WebApplicationBuilder AddProfilerServer(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = new ServerOptions
        {
            Target = builder.Configuration["target"] ?? "all",
            DataDir = builder.Configuration["data-dir"] ?? "./data",
            Mesh = builder.Configuration["mesh"],
        };
        var targets = options.Targets();
        var mesh = options.ResolveMesh(builder.Configuration[DaprOptions.HttpPortVariable]);
        var dataDir = Path.GetFullPath(options.DataDir);

        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]))
        {
            builder.WebHost.UseUrls(ServerOptions.DefaultUrl);
        }

        // A request line and headers of up to 1 MiB each reach the APIs, as in Pyroscope (Go's net/http limit), so an
        // overlong query string or selector gets the API's 4xx naming its own limit (a selector, a label), not a bare
        // 414 from Kestrel. Kestrel:Limits:* settings override this.
        builder.WebHost.ConfigureKestrel((context, kestrel) =>
        {
            kestrel.Limits.MaxRequestLineSize = ServerOptions.MaxRequestLineBytes;
            kestrel.Limits.MaxRequestHeadersTotalSize = ServerOptions.MaxRequestLineBytes;
            context.Configuration.GetSection("Kestrel:Limits").Bind(kestrel.Limits);
        });

        // Defaults derived from --data-dir, below every other source so configuration can still override them.
        builder.Configuration.Sources.Insert(0, new MemoryConfigurationSource
        {
            InitialData = new Dictionary<string, string?>
            {
                ["ObjectStorage:Directory"] = Path.Combine(dataDir, "bucket"),
                ["Metastore:DataDirectory"] = dataDir,
                ["Actors:DataDirectory"] = dataDir,
            },
        });

        var services = builder.Services;
        services.AddSingleton(options);
        services.AddSingleton(new HostedTargets(targets, mesh));

        // The app side: the methods and subscriptions of the services hosted here, under either mesh.
        services.AddSingleton<ServiceMethodRegistry>();
        services.AddSingleton<SubscriptionRegistry>();
        if (mesh == MeshKind.Dapr)
        {
            services.AddDaprMesh(builder.Configuration);
        }
        else
        {
            services.AddSingleton<IServiceInvoker, InProcessServiceInvoker>();
            services.AddSingleton<InProcessPubSub>();
            services.AddSingleton<IPublisher>(sp => sp.GetRequiredService<InProcessPubSub>());
            services.AddHostedService(sp => sp.GetRequiredService<InProcessPubSub>());
        }

        services.AddSingleton<ReadinessState>();
        if (ObjectStoreUsers.Any(targets.Contains))
        {
            // ObjectStorage:Provider = FileSystem | S3 (direct), or Dapr (an output binding through the sidecar).
            if (string.Equals(builder.Configuration["ObjectStorage:Provider"], "Dapr", StringComparison.OrdinalIgnoreCase))
            {
                if (mesh != MeshKind.Dapr)
                {
                    throw new InvalidServerOptionsException("ObjectStorage:Provider=Dapr reaches object storage through a Dapr binding and needs --mesh dapr");
                }

                services.AddDaprBindingObjectStore(builder.Configuration);
            }
            else
            {
                services.AddObjectStorage(builder.Configuration);
            }
        }

        services.AddSingleton<MetastoreClient>();
        services.AddSingleton<IMetastoreClient>(sp => sp.GetRequiredService<MetastoreClient>());
        services.AddSingleton<IMetastoreCompactionClient>(sp => sp.GetRequiredService<MetastoreClient>());
        services.AddSingleton<ISegmentWriterClient, SegmentWriterClient>();

        if (targets.Contains(DaprNames.AppIds.Metastore))
        {
            services.AddMetastore(builder.Configuration);
        }

        if (targets.Contains(DaprNames.AppIds.SegmentWriter))
        {
            services.AddSegmentWriter(builder.Configuration);
        }

        if (targets.Contains(DaprNames.AppIds.Distributor))
        {
            services.AddDistributor(builder.Configuration);
        }

        AddActorRuntime(builder, targets, mesh);

        if (targets.Contains(DaprNames.AppIds.QueryBackend))
        {
            services.AddQueryBackend(builder.Configuration);
        }

        if (targets.Contains(DaprNames.AppIds.QueryFrontend))
        {
            services.AddQueryFrontend(builder.Configuration);
        }

        AddCompaction(builder, targets, mesh);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(30));
        return builder;
    }

    /// <summary>
    /// Compaction: the scheduler actors (on the in-process actor runtime, state and reminders under
    /// <c>{data-dir}/actors</c>; under Dapr on the Dapr SDK's actor runtime with the <c>actorstore</c> component),
    /// the workers with the tombstone cleaner, and, beside the metastore, the notifier that wakes a shard's scheduler
    /// when blocks arrive (in one process only when the scheduler is there too).
    /// </summary>
    private static void AddCompaction(WebApplicationBuilder builder, IReadOnlySet<string> targets, MeshKind mesh)
    {
        var scheduler = targets.Contains(DaprNames.AppIds.CompactionScheduler);
        var worker = targets.Contains(DaprNames.AppIds.CompactionWorker);
        var metastore = targets.Contains(DaprNames.AppIds.Metastore);
        var services = builder.Services;
        if (scheduler)
        {
            services.AddCompactionScheduler(builder.Configuration);
        }

        if (mesh == MeshKind.Dapr)
        {
            if (worker || (metastore && builder.Configuration.GetValue("Compaction:Enabled", true)))
            {
                services.AddDaprActorInvoker();
            }

            if (metastore && builder.Configuration.GetValue("Compaction:Enabled", true))
            {
                services.AddCompactionNotifier();
            }
        }
        else if (scheduler && metastore)
        {
            services.AddCompactionNotifier();
        }

        if (worker)
        {
            services.AddCompactionWorker(builder.Configuration);
        }
    }

    /// <summary>
    /// The actor runtime of the process: the actor types of the hosted app-ids (<c>CompactionScheduler</c> for
    /// compaction-scheduler, <c>DistributorRing</c> for distributor) on the in-process runtime, or under Dapr on the
    /// SDK's actor runtime; the compaction worker only calls actors.
    /// </summary>
    private static void AddActorRuntime(WebApplicationBuilder builder, IReadOnlySet<string> targets, MeshKind mesh)
    {
        var hosted = HostedActorTypes(targets);
        if (mesh == MeshKind.Dapr)
        {
            if (hosted.Count > 0)
            {
                builder.Services.AddDaprActorHost(hosted);
            }
        }
        else if (hosted.Count > 0 || targets.Contains(DaprNames.AppIds.CompactionWorker))
        {
            builder.Services.AddInProcessActorRuntime(builder.Configuration);
        }
    }

    private static List<string> HostedActorTypes(IReadOnlySet<string> targets)
    {
        var types = new List<string>();
        if (targets.Contains(DaprNames.AppIds.CompactionScheduler))
        {
            types.Add(DaprNames.Actors.CompactionScheduler);
        }

        if (targets.Contains(DaprNames.AppIds.Distributor))
        {
            types.Add(DaprNames.Actors.DistributorRing);
        }

        return types;
    }

    public static WebApplication MapProfilerServer(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var targets = app.Services.GetRequiredService<HostedTargets>();
        var registry = app.Services.GetRequiredService<ServiceMethodRegistry>();
        app.UseMessagesOnEmptyErrors();
        if (targets.Mesh == MeshKind.Dapr)
        {
            // Before every route: calls from the sidecar carry APP_API_TOKEN; public client routes are exempt.
            app.UseWhen(context => !IsPublicPath(context.Request.Path), branch => branch.UseDaprAppToken());
        }

        if (targets.Contains(DaprNames.AppIds.Metastore))
        {
            MetastoreRegistration.MapMetastoreMethods(registry, app.Services);
        }

        if (targets.Contains(DaprNames.AppIds.SegmentWriter))
        {
            registry.MapSegmentWriterMethods(app.Services.GetRequiredService<SegmentWriterService>());
        }

        if (targets.Contains(DaprNames.AppIds.QueryBackend))
        {
            registry.MapQueryBackendMethods(app.Services);
        }

        if (targets.Contains(DaprNames.AppIds.Distributor))
        {
            app.Services.GetRequiredService<SubscriptionRegistry>().Subscribe(app.Services.GetRequiredService<ProfileEventSubscriber>().Subscription);
        }

        if (app.Services.GetService<CompactionWorker>() is { } compactionWorker)
        {
            app.Services.GetRequiredService<SubscriptionRegistry>().Subscribe(compactionWorker.Subscription);
        }

        if (app.Services.GetService<CompactionNotifier>() is { } notifier)
        {
            app.Services.GetRequiredService<MetastoreNode>().BlockAdded += notifier.Notify;
        }

        app.Services.GetRequiredService<ReadinessState>().Attach(app.Lifetime);
        app.MapGet("/ready", (ReadinessState ready) => ready.IsReady
            ? Results.Text("ready\n")
            : Results.Text("not ready\n", statusCode: StatusCodes.Status503ServiceUnavailable));
        app.MapGet("/metrics", MetricsEndpoint.WriteAsync);
        if (targets.Contains(DaprNames.AppIds.Distributor))
        {
            app.MapDistributorApi();
        }

        if (targets.Contains(DaprNames.AppIds.QueryFrontend))
        {
            app.MapQueryFrontendApi();
        }

        // Internal methods answer over HTTP only where something must call them that way: Dapr forwards invocations
        // to them. In one process the mesh calls them directly, so they stay off the public port unless asked for
        // (Server:ExposeInternalMethods, for tests and debugging) — they take any tenant id they are given.
        if (targets.Mesh == MeshKind.Dapr || app.Configuration.GetValue<bool>("Server:ExposeInternalMethods"))
        {
            app.MapServiceMethods(registry, targets.Contains);
        }
        if (targets.Mesh == MeshKind.Dapr && HostedActorTypes(targets.All).Count > 0)
        {
            app.MapDaprActors();
        }

        if (targets.Mesh == MeshKind.Dapr)
        {
            // After every subscription is registered: the list and the routes are taken from the registry now.
            app.MapDaprSubscriptions(app.Services.GetRequiredService<SubscriptionRegistry>());
        }

        return app;
    }

    private static bool IsPublicPath(PathString path) =>
        PublicPathPrefixes.Any(prefix => path.StartsWithSegments(prefix, StringComparison.OrdinalIgnoreCase));
}

/// <summary>The app-ids this process hosts, and the mesh that connects them to the rest.</summary>
public sealed class HostedTargets(IReadOnlySet<string> targets, MeshKind mesh = MeshKind.InProcess)
{
    public MeshKind Mesh => mesh;

    public bool Contains(string appId) => targets.Contains(appId);

    public IReadOnlySet<string> All => targets;
}
