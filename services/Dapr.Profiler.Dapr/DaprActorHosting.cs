using Dapr.Actors.Client;
using Dapr.Profiler.Mesh;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Dapr.Profiler.Dapr;

/// <summary>Actors under Dapr: the SDK's actor runtime hosting mesh actors, and the SDK's proxies calling them.</summary>
public static class DaprActorHosting
{
    /// <summary>
    /// <see cref="IActorInvoker"/> = <see cref="DaprActorInvoker"/> over the SDK's <see cref="IActorProxyFactory"/>,
    /// pointed at this process's sidecar with its API token. Any process that calls actors needs it.
    /// </summary>
    public static IServiceCollection AddDaprActorInvoker(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton<IActorProxyFactory>(sp =>
        {
            var dapr = sp.GetRequiredService<DaprOptions>();
            return new ActorProxyFactory(new ActorProxyOptions
            {
                HttpEndpoint = dapr.HttpEndpoint.ToString().TrimEnd('/'),
                DaprApiToken = dapr.ApiToken,
                RequestTimeout = TimeSpan.FromMinutes(1),
            });
        });
        services.TryAddSingleton<IActorInvoker, DaprActorInvoker>();
        return services;
    }

    /// <summary>
    /// Hosts the given mesh actor types in the SDK's actor runtime (each as a <see cref="MeshActorBridge"/> under its
    /// type name), talking to this process's sidecar. Register the types with <c>AddActor</c> as usual; map the
    /// Dapr actor routes with <see cref="MapDaprActors"/>.
    /// </summary>
    public static IServiceCollection AddDaprActorHost(this IServiceCollection services, IReadOnlyList<string> actorTypes)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(actorTypes);
        services.AddActorRegistry();
        services.AddDaprActorInvoker();
        services.AddActors(options =>
        {
            foreach (var type in actorTypes)
            {
                options.Actors.RegisterActor<MeshActorBridge>(type);
            }
        });
        services.AddOptions<global::Dapr.Actors.Runtime.ActorRuntimeOptions>().Configure<DaprOptions>((options, dapr) =>
        {
            options.HttpEndpoint = dapr.HttpEndpoint.ToString().TrimEnd('/');
            options.DaprApiToken = dapr.ApiToken;
        });
        return services;
    }

    /// <summary>The app side of Dapr's actor protocol: <c>GET /dapr/config</c> and the <c>/actors/…</c> callbacks.</summary>
    public static IEndpointRouteBuilder MapDaprActors(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapActorsHandlers();
        return endpoints;
    }
}
