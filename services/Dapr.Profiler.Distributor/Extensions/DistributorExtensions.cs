using Dapr.Profiler.Mesh;
using Dapr.Profiler.Protos.Distributor;
using Dapr.Profiler.SegmentWriter;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Dapr.Profiler.Distributor;

/// <summary>Registers the distributor's services and maps its ingestion APIs.</summary>
public static class DistributorExtensions
{
    /// <summary>The Pyroscope ingestion routes of <see cref="IngestApi"/>.</summary>
    public static IReadOnlyList<string> IngestRoutes { get; } = ["/ingest", "/pyroscope/ingest"];

    /// <summary>
    /// Binds <see cref="DistributorOptions"/> from the <c>Distributor</c> section of <paramref name="configuration"/>
    /// (validated at start) and registers <see cref="IngestPipeline"/>, <see cref="ShardPlacement"/>,
    /// <see cref="IngestRateLimiter"/>, the <see cref="DistributorRing"/> membership (a hosted service; it needs an
    /// <c>IActorInvoker</c> for the global rate strategy, else limits apply per process), the <c>DistributorRing</c>
    /// actor type (hosted where an actor runtime is) and the APIs as singletons. <see cref="ISegmentWriterClient"/> defaults to
    /// <see cref="SegmentWriterClient"/> over the mesh, which needs an <c>IServiceInvoker</c>; register another
    /// implementation to replace it.
    /// </summary>
    public static IServiceCollection AddDistributor(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        services.AddOptions<DistributorOptions>()
            .Bind(configuration.GetSection(DistributorOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ISegmentWriterClient, SegmentWriterClient>();
        services.TryAddSingleton(sp => new ShardPlacement(sp.GetRequiredService<IOptions<DistributorOptions>>()));
        services.TryAddSingleton<DistributorRing>();
        services.AddHostedService(sp => sp.GetRequiredService<DistributorRing>());
        services.TryAddSingleton<IngestRateLimiter>();
        services.TryAddSingleton<IngestPipeline>();
        services.TryAddSingleton<IngestApi>();
        services.TryAddSingleton<PushApi>();
        services.TryAddSingleton<ProfileEventSubscriber>();
        services.AddActor(
            DaprNames.Actors.DistributorRing,
            static (_, host) => new DistributorRingActor(host),
            static methods => methods.Map<HeartbeatRequest, HeartbeatResponse>(
                DaprNames.Actors.DistributorRingHeartbeat, static (a, r, ct) => a.HeartbeatAsync(r, ct)));
        return services;
    }

    /// <summary>
    /// Maps <c>POST /ingest</c>, <c>POST /pyroscope/ingest</c> and <c>POST /push.v1.PusherService/Push</c>.
    /// The handlers read the raw body themselves (no form binding, no antiforgery).
    /// </summary>
    public static IEndpointRouteBuilder MapDistributorApi(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        foreach (var route in IngestRoutes)
        {
            endpoints.MapPost(route, context => context.RequestServices.GetRequiredService<IngestApi>().HandleAsync(context))
                .WithDisplayName("Pyroscope ingest " + route);
        }

        endpoints.MapPost(PushApi.Route, context => context.RequestServices.GetRequiredService<PushApi>().HandleAsync(context))
            .WithDisplayName("push.v1.PusherService/Push");
        return endpoints;
    }
}
