using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Dapr.Profiler.ObjectStorage;

/// <summary>Registers the object store chosen by <see cref="ObjectStorageOptions.Provider"/>.</summary>
public static class ObjectStorageServiceCollectionExtensions
{
    /// <summary>
    /// Binds <see cref="ObjectStorageOptions"/> from the <c>ObjectStorage</c> section of <paramref name="configuration"/>,
    /// validates them at start, and registers <see cref="IObjectStore"/> as a singleton.
    /// </summary>
    public static IServiceCollection AddObjectStorage(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        services.AddOptions<ObjectStorageOptions>()
            .Bind(configuration.GetSection(ObjectStorageOptions.SectionName))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ObjectStorageOptions>, ObjectStorageOptionsValidator>());
        services.TryAddSingleton<IObjectStore>(sp =>
        {
            var options = sp.GetRequiredService<IOptions<ObjectStorageOptions>>().Value;
            return options.Provider switch
            {
                ObjectStorageProvider.FileSystem => new FileSystemObjectStore(
                    options.Directory, sp.GetRequiredService<ILogger<FileSystemObjectStore>>()),
                ObjectStorageProvider.S3 => new S3ObjectStore(options.S3, sp.GetRequiredService<ILogger<S3ObjectStore>>()),
                _ => throw new InvalidOperationException($"object storage provider {options.Provider} is not supported"),
            };
        });
        return services;
    }
}
