using Dapr.Profiler.Metastore.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Dapr.Profiler.QueryFrontend;

/// <summary>Registers the query-frontend's services and maps its query APIs.</summary>
public static class QueryFrontendExtensions
{
    /// <summary>
    /// Binds <see cref="QueryFrontendOptions"/> from the <c>QueryFrontend</c> section of <paramref name="configuration"/>
    /// (validated at start) and registers <see cref="QuerierService"/>, <see cref="ConnectApi"/> and
    /// <see cref="RenderApi"/> as singletons. <see cref="IMetastoreClient"/> defaults to <see cref="MetastoreClient"/>
    /// over the mesh; the query-backend is always reached through <c>Mesh.IServiceInvoker</c>
    /// (<c>query-backend</c> / <c>querybackend.v1.QueryBackendService/Invoke</c>), which the host registers.
    /// </summary>
    public static IServiceCollection AddQueryFrontend(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        services.AddOptions<QueryFrontendOptions>()
            .Bind(configuration.GetSection(QueryFrontendOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IMetastoreClient, MetastoreClient>();
        services.TryAddSingleton<QueryExecutor>();
        services.TryAddSingleton(sp => new QuerierService(
            sp.GetRequiredService<IMetastoreClient>(),
            sp.GetRequiredService<QueryExecutor>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<IOptions<QueryFrontendOptions>>(),
            sp.GetRequiredService<ILogger<QuerierService>>()));
        services.TryAddSingleton<TenantQueryLimiter>();
        services.TryAddSingleton<ConnectApi>();
        services.TryAddSingleton<RenderApi>();
        return services;
    }

    /// <summary>
    /// Maps <c>/querier.v1.QuerierService/{method}</c> (Connect unary; any HTTP method, so that other verbs get 405
    /// and unknown procedures 404 as Connect errors) and <c>GET /pyroscope/render</c>, <c>/pyroscope/render-diff</c>,
    /// <c>/pyroscope/label-values</c>. Handlers read the raw body themselves (no form binding, no antiforgery).
    /// </summary>
    public static IEndpointRouteBuilder MapQueryFrontendApi(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.Map(ConnectApi.ServicePath + "/{method}", (HttpContext context, string method) =>
                context.RequestServices.GetRequiredService<ConnectApi>().HandleAsync(context, method))
            .WithDisplayName("querier.v1.QuerierService");
        endpoints.MapGet(RenderApi.RenderRoute, context => context.RequestServices.GetRequiredService<RenderApi>().RenderAsync(context))
            .WithDisplayName("Pyroscope render");
        endpoints.MapGet(RenderApi.RenderDiffRoute, context => context.RequestServices.GetRequiredService<RenderApi>().RenderDiffAsync(context))
            .WithDisplayName("Pyroscope render-diff");
        endpoints.MapGet(RenderApi.LabelValuesRoute, context => context.RequestServices.GetRequiredService<RenderApi>().LabelValuesAsync(context))
            .WithDisplayName("Pyroscope label-values");
        return endpoints;
    }
}
