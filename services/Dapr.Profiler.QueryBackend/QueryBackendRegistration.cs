using Dapr.Profiler.Mesh;
using Dapr.Profiler.Protos.QueryBackend;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Dapr.Profiler.QueryBackend;

/// <summary>Registers the query-backend service and its method.</summary>
public static class QueryBackendRegistration
{
    /// <summary>
    /// Registers <see cref="QueryBackendOptions"/> (section <c>QueryBackend</c>, validated at start) and the
    /// <see cref="QueryBackendService"/> and <see cref="QueryBackendMetrics"/> singletons. It needs an
    /// <c>IObjectStore</c> and an <see cref="IServiceInvoker"/> registered by the host. Call <see cref="MapQueryBackendMethods"/> once the provider is built.
    /// </summary>
    public static IServiceCollection AddQueryBackend(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<QueryBackendOptions>()
            .Bind(configuration.GetSection(QueryBackendOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddSingleton<QueryBackendMetrics>();
        services.TryAddSingleton<QueryBackendService>();
        return services;
    }

    /// <summary>Makes <c>querybackend.v1.QueryBackendService/Invoke</c> callable through the mesh (app-id <c>query-backend</c>).</summary>
    public static void MapQueryBackendMethods(this ServiceMethodRegistry registry, IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(services);
        var service = services.GetRequiredService<QueryBackendService>();
        registry.Map<InvokeRequest, InvokeResponse>(DaprNames.AppIds.QueryBackend, DaprNames.Methods.QueryBackendInvoke, service.InvokeAsync);
    }
}
