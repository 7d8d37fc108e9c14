using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Dapr.Profiler.Mesh;

/// <summary>Registers the in-process actor runtime and the actor types a service hosts.</summary>
public static class ActorServiceCollectionExtensions
{
    /// <summary>
    /// Binds <see cref="ActorRuntimeOptions"/> from the <c>Actors</c> section (validated at start) and registers
    /// <see cref="InProcessActorRuntime"/> as the <see cref="IActorInvoker"/> and as a hosted service, with the
    /// <see cref="ActorRegistry"/> built from every <see cref="AddActor{TActor}"/> call.
    /// </summary>
    public static IServiceCollection AddInProcessActorRuntime(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<ActorRuntimeOptions>()
            .Bind(configuration.GetSection(ActorRuntimeOptions.SectionName))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ActorRuntimeOptions>, ActorRuntimeOptionsValidator>());
        services.AddActorRegistry();
        services.TryAddSingleton<InProcessActorRuntime>();
        services.TryAddSingleton<IActorInvoker>(sp => sp.GetRequiredService<InProcessActorRuntime>());
        services.AddHostedService(sp => sp.GetRequiredService<InProcessActorRuntime>());
        return services;
    }

    /// <summary>
    /// Registers the <see cref="ActorRegistry"/> built from every <see cref="AddActor{TActor}"/> call (and the system
    /// clock, unless a <see cref="TimeProvider"/> is registered): what any actor host needs, in process or under Dapr.
    /// </summary>
    public static IServiceCollection AddActorRegistry(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp =>
        {
            var registry = new ActorRegistry();
            foreach (var registration in sp.GetServices<ActorTypeSetup>())
            {
                registration.Apply(registry, sp);
            }

            return registry;
        });
        return services;
    }

    /// <summary>Hosts an actor type: <paramref name="factory"/> makes each activation's actor, with services at hand.</summary>
    public static IServiceCollection AddActor<TActor>(
        this IServiceCollection services,
        string actorType,
        Func<IServiceProvider, ActorHost, TActor> factory,
        Action<ActorMethodMap<TActor>>? methods = null)
        where TActor : Actor
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(factory);
        services.AddSingleton(new ActorTypeSetup((registry, sp) => registry.RegisterActor(actorType, host => factory(sp, host), methods)));
        return services;
    }

    private sealed class ActorTypeSetup(Action<ActorRegistry, IServiceProvider> apply)
    {
        public void Apply(ActorRegistry registry, IServiceProvider services) => apply(registry, services);
    }
}
