using Dapr.Profiler.Mesh;
using Dapr.Profiler.Protos.Metastore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Dapr.Profiler.Metastore;

/// <summary>The metastore's registration entry points.</summary>
public static class MetastoreRegistration
{
    /// <summary>The health check registered by <see cref="AddMetastore"/>, tagged <see cref="ReadyTag"/>.</summary>
    public const string HealthCheckName = "metastore";

    /// <summary>The tag of health checks that gate readiness.</summary>
    public const string ReadyTag = "ready";

    /// <summary>
    /// Registers the metastore: <see cref="MetastoreOptions"/> (section <c>Metastore</c>, validated at start), the
    /// <see cref="MetastoreNode"/> and <see cref="MetastoreService"/> singletons, a hosted service that recovers the
    /// node at start and closes it at stop, DLQ recovery (uses the registered <c>IObjectStore</c>), and a readiness
    /// health check. Call <see cref="MapMetastoreMethods"/> once the provider is built.
    /// </summary>
    public static IServiceCollection AddMetastore(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<MetastoreOptions>()
            .Bind(configuration.GetSection(MetastoreOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<MetastoreNode>();
        services.TryAddSingleton<MetastoreService>();
        services.AddHostedService<MetastoreHostedService>();
        services.AddHostedService<DlqRecoveryService>();
        services.AddOptions<RetentionOptions>()
            .Bind(configuration.GetSection(RetentionOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddSingleton<RetentionService>();
        services.AddHostedService(sp => sp.GetRequiredService<RetentionService>());
        services.AddHealthChecks().AddCheck<MetastoreReadinessCheck>(HealthCheckName, tags: [ReadyTag]);
        return services;
    }

    /// <summary>Registers every metastore method (<c>DaprNames.Methods.Metastore*</c>) under the metastore app-id.</summary>
    public static void MapMetastoreMethods(this ServiceMethodRegistry registry, IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(services);
        var service = services.GetRequiredService<MetastoreService>();
        const string app = DaprNames.AppIds.Metastore;
        registry.Map<AddBlockRequest, AddBlockResponse>(app, DaprNames.Methods.MetastoreAddBlock, service.AddBlockAsync);
        registry.Map<QueryMetadataRequest, QueryMetadataResponse>(app, DaprNames.Methods.MetastoreQueryMetadata, service.QueryMetadataAsync);
        registry.Map<MetadataQueryRequest, ProfileTypesResponse>(app, DaprNames.Methods.MetastoreProfileTypes, service.ProfileTypesAsync);
        registry.Map<MetadataQueryRequest, LabelNamesResponse>(app, DaprNames.Methods.MetastoreLabelNames, service.LabelNamesAsync);
        registry.Map<LabelValuesRequest, LabelValuesResponse>(app, DaprNames.Methods.MetastoreLabelValues, service.LabelValuesAsync);
        registry.Map<SeriesLabelsRequest, SeriesLabelsResponse>(app, DaprNames.Methods.MetastoreSeriesLabels, service.SeriesLabelsAsync);
        registry.Map<TenantStatsRequest, TenantStatsResponse>(app, DaprNames.Methods.MetastoreTenantStats, service.TenantStatsAsync);
        registry.Map<CompactableBlocksRequest, CompactableBlocksResponse>(app, DaprNames.Methods.MetastoreCompactableBlocks, service.CompactableBlocksAsync);
        registry.Map<LeaseJobRequest, LeaseJobResponse>(app, DaprNames.Methods.MetastoreLeaseJob, service.LeaseJobAsync);
        registry.Map<ReplaceBlocksRequest, ReplaceBlocksResponse>(app, DaprNames.Methods.MetastoreReplaceBlocks, service.ReplaceBlocksAsync);
        registry.Map<ListTombstonesRequest, ListTombstonesResponse>(app, DaprNames.Methods.MetastoreListTombstones, service.ListTombstonesAsync);
        registry.Map<DeleteTombstonesRequest, DeleteTombstonesResponse>(app, DaprNames.Methods.MetastoreDeleteTombstones, service.DeleteTombstonesAsync);
        registry.Map<BlockStatesRequest, BlockStatesResponse>(app, DaprNames.Methods.MetastoreBlockStates, service.BlockStatesAsync);
        registry.Map<IndexStatsRequest, IndexStatsResponse>(app, DaprNames.Methods.MetastoreIndexStats, service.IndexStatsAsync);
    }
}
