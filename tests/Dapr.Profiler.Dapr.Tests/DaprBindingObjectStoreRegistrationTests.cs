using Dapr.Profiler.ObjectStorage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Dapr.Profiler.Dapr.Tests;

public sealed class DaprBindingObjectStoreRegistrationTests
{
    [Fact]
    public void AddDaprBindingObjectStore_ReplacesTheObjectStore_WithTheConfiguredBinding()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ObjectStorage:Dapr:BindingName"] = "blocks",
            ["ObjectStorage:Dapr:BindingType"] = "bindings.aws.s3",
            ["ObjectStorage:Dapr:MaxBodyBytes"] = "1048576",
        }).Build();
        var services = new ServiceCollection();
        services.AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance);
        services.AddSingleton(typeof(ILogger<>), typeof(NullLogger<>));
        services.AddSingleton<IObjectStore>(_ => throw new InvalidOperationException("the replaced store was built"));

        services.AddDaprBindingObjectStore(configuration);

        using var provider = services.BuildServiceProvider();
        var store = Assert.IsType<DaprBindingObjectStore>(provider.GetRequiredService<IObjectStore>());
        Assert.False(store.SupportsRangeReads);
        Assert.Equal((1048576 - DaprBindingObjectStoreOptions.EnvelopeReserveBytes) / 4 * 3, store.MaxPartBytes);
    }

    [Theory]
    [InlineData("ObjectStorage:Dapr:BindingType", "redis")]
    [InlineData("ObjectStorage:Dapr:MaxBodyBytes", "1000")]
    [InlineData("ObjectStorage:Dapr:BindingName", " ")]
    public void InvalidSettings_AreRejected_AtRegistration(string name, string value)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [name] = value }).Build();

        Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddDaprBindingObjectStore(configuration));
    }
}
