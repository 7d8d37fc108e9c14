using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Dapr.Profiler.ObjectStorage.Tests;

public sealed class ObjectStorageRegistrationTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static ServiceProvider Build(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection().AddLogging();
        services.AddObjectStorage(configuration);
        return services.BuildServiceProvider();
    }

    [Fact]
    public void FileSystemProvider_IsRegistered_AtTheConfiguredDirectory()
    {
        using var provider = Build(new()
        {
            ["ObjectStorage:Provider"] = "FileSystem",
            ["ObjectStorage:Directory"] = _dir.Sub("configured"),
        });

        var store = Assert.IsType<FileSystemObjectStore>(provider.GetRequiredService<IObjectStore>());

        Assert.Equal(_dir.Sub("configured"), store.RootDirectory);
        Assert.Same(store, provider.GetRequiredService<IObjectStore>());
    }

    [Fact]
    public void EmptyDirectory_FailsValidation_WithAClearMessage()
    {
        using var provider = Build(new() { ["ObjectStorage:Directory"] = " " });

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<ObjectStorageOptions>>().Value);

        Assert.Contains("ObjectStorage:Directory is required", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Defaults_UseTheFileSystemProvider()
    {
        var options = new ObjectStorageOptions();

        Assert.Equal(ObjectStorageProvider.FileSystem, options.Provider);
        Assert.True(new ObjectStorageOptionsValidator().Validate(null, options).Succeeded);
        Assert.True(new ObjectStorageOptionsValidator().Validate(null, new ObjectStorageOptions { Provider = (ObjectStorageProvider)42 }).Failed);
    }
}
