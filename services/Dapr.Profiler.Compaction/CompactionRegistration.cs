using Dapr.Profiler.Mesh;
using Dapr.Profiler.Metastore.Client;
using Dapr.Profiler.Protos.Compaction;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Dapr.Profiler.Compaction;

/// <summary>Registration entry points of the two compaction app-ids.</summary>
public static class CompactionRegistration
{
    /// <summary>
    /// <c>compaction-scheduler</c>: the <c>CompactionScheduler</c> actor type (one actor per shard) on the process's
    /// actor runtime. Needs an <see cref="IMetastoreCompactionClient"/> and an <see cref="IPublisher"/>.
    /// </summary>
    public static IServiceCollection AddCompactionScheduler(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        AddCommon(services, configuration);
        services.AddActor(
            DaprNames.Actors.CompactionScheduler,
            static (sp, host) => new CompactionSchedulerActor(
                host,
                sp.GetRequiredService<IMetastoreCompactionClient>(),
                sp.GetRequiredService<IPublisher>(),
                sp.GetRequiredService<IOptions<CompactionOptions>>().Value,
                sp.GetRequiredService<CompactionMetrics>()),
            static methods => methods
                .Map<PollRequest, PollResponse>(DaprNames.Actors.CompactionSchedulerPoll, static (a, r, ct) => a.PollAsync(r, ct))
                .Map<RenewLeaseRequest, RenewLeaseResponse>(DaprNames.Actors.CompactionSchedulerRenewLease, static (a, r, ct) => a.RenewLeaseAsync(r, ct))
                .Map<CompleteJobRequest, CompleteJobResponse>(DaprNames.Actors.CompactionSchedulerCompleteJob, static (a, r, ct) => a.CompleteJobAsync(r, ct)));
        return services;
    }

    /// <summary>
    /// <c>compaction-worker</c>: the job handler (subscribe <see cref="CompactionWorker.Subscription"/> once the
    /// provider is built) and the <see cref="TombstoneCleaner"/>. Needs an object store, an
    /// <see cref="IMetastoreCompactionClient"/> and an <see cref="IActorInvoker"/>.
    /// </summary>
    public static IServiceCollection AddCompactionWorker(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        AddCommon(services, configuration);
        services.TryAddSingleton<CompactionWorker>();
        services.TryAddSingleton<TombstoneCleaner>();
        services.AddHostedService(sp => sp.GetRequiredService<TombstoneCleaner>());
        return services;
    }

    /// <summary>In the process that hosts the metastore: wake the shard's scheduler when blocks are indexed.</summary>
    public static IServiceCollection AddCompactionNotifier(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton<CompactionNotifier>();
        services.AddHostedService(sp => sp.GetRequiredService<CompactionNotifier>());
        return services;
    }

    private static void AddCommon(IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<CompactionOptions>()
            .Bind(configuration.GetSection(CompactionOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<CompactionMetrics>();
    }
}
