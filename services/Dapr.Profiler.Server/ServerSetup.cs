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

/// <summary>Wires the services selected by <c>--target</c> into one host, with the in-process mesh.</summary>
public static class ServerSetup
{
    public static WebApplicationBuilder AddProfilerServer(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = new ServerOptions
        {
            Target = builder.Configuration["target"] ?? "all",
            DataDir = builder.Configuration["data-dir"] ?? "./data",
        };
        var targets = options.Targets();
        var dataDir = Path.GetFullPath(options.DataDir);

        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]))
        {
            builder.WebHost.UseUrls(ServerOptions.DefaultUrl);
        }

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
        services.AddSingleton(new HostedTargets(targets));
        services.AddSingleton<ServiceMethodRegistry>();
        services.AddSingleton<SubscriptionRegistry>();
        services.AddSingleton<IServiceInvoker, InProcessServiceInvoker>();
        services.AddSingleton<InProcessPubSub>();
        services.AddSingleton<IPublisher>(sp => sp.GetRequiredService<InProcessPubSub>());
        services.AddHostedService(sp => sp.GetRequiredService<InProcessPubSub>());
        services.AddSingleton<ReadinessState>();
        services.AddObjectStorage(builder.Configuration);
        services.AddSingleton<IMetastoreClient, MetastoreClient>();
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

        if (targets.Contains(DaprNames.AppIds.QueryBackend))
        {
            services.AddQueryBackend(builder.Configuration);
        }

        if (targets.Contains(DaprNames.AppIds.QueryFrontend))
        {
            services.AddQueryFrontend(builder.Configuration);
        }

        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(30));
        return builder;
    }

    public static WebApplication MapProfilerServer(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var targets = app.Services.GetRequiredService<HostedTargets>();
        var registry = app.Services.GetRequiredService<ServiceMethodRegistry>();
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

        app.MapServiceMethods(registry, targets.Contains);
        return app;
    }
}

/// <summary>The app-ids this process hosts.</summary>
public sealed class HostedTargets(IReadOnlySet<string> targets)
{
    public bool Contains(string appId) => targets.Contains(appId);

    public IReadOnlySet<string> All => targets;
}
