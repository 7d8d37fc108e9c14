using Dapr.Profiler.ObjectStorage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace Dapr.Profiler.Dapr;

/// <summary>Registers <see cref="DaprBindingObjectStore"/>.</summary>
public static class DaprBindingObjectStoreServiceCollectionExtensions
{
    /// <summary>
    /// Reads <see cref="DaprBindingObjectStoreOptions"/> from the <c>ObjectStorage:Dapr</c> section (validated now)
    /// and registers <see cref="IObjectStore"/> = <see cref="DaprBindingObjectStore"/>, replacing any other
    /// registration. Registers the Dapr client (<see cref="DaprServiceCollectionExtensions.AddDaprMesh"/>) when absent.
    /// </summary>
    /// <exception cref="InvalidOperationException">A setting is not valid.</exception>
    public static IServiceCollection AddDaprBindingObjectStore(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        var options = new DaprBindingObjectStoreOptions();
        configuration.GetSection(DaprBindingObjectStoreOptions.SectionName).Bind(options);
        options.Validate();
        if (!services.Any(d => d.ServiceType == typeof(DaprClient)))
        {
            services.AddDaprMesh(configuration);
        }

        services.RemoveAll<IObjectStore>();
        services.AddSingleton<IObjectStore>(provider => new DaprBindingObjectStore(
            provider.GetRequiredService<DaprClient>(), options, provider.GetRequiredService<ILogger<DaprBindingObjectStore>>()));
        return services;
    }
}
