using Dapr.Profiler.Mesh;
using Dapr.Profiler.ObjectStorage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Dapr.Profiler.QueryBackend.Tests;

public sealed class RegistrationTests
{
    private static ServiceProvider Provider(Dictionary<string, string?> settings)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<IObjectStore>(new FileSystemObjectStore(Path.Combine(Path.GetTempPath(), "querybackend-registration-" + Guid.NewGuid().ToString("N"))));
        services.AddSingleton<ServiceMethodRegistry>();
        services.AddSingleton<IServiceInvoker, InProcessServiceInvoker>();
        services.AddQueryBackend(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        return services.BuildServiceProvider();
    }

    [Fact]
    public void Options_BindFromTheQueryBackendSection_WithDefaultsFromTheProcessorCount()
    {
        using var provider = Provider(new() { ["QueryBackend:MaxConcurrency"] = "7" });

        var options = provider.GetRequiredService<IOptions<QueryBackendOptions>>().Value;

        Assert.Equal(7, options.MaxConcurrency);
        Assert.Equal(2 * Environment.ProcessorCount, options.ReadConcurrency);
        Assert.Equal(64 * 1024, options.FooterReadBytes);
    }

    [Theory]
    [InlineData("MaxConcurrency", "0")]
    [InlineData("ReadConcurrency", "0")]
    [InlineData("FooterReadBytes", "100")]
    public void InvalidOptions_FailValidation(string name, string value)
    {
        using var provider = Provider(new() { [$"QueryBackend:{name}"] = value });

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<QueryBackendOptions>>().Value);
        Assert.Contains(name, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheInvokeMethod_IsRegisteredForTheQueryBackendAppId()
    {
        using var provider = Provider([]);
        var registry = provider.GetRequiredService<ServiceMethodRegistry>();

        registry.MapQueryBackendMethods(provider);

        Assert.True(registry.TryGet(DaprNames.AppIds.QueryBackend, DaprNames.Methods.QueryBackendInvoke, out var method));
        Assert.Equal("querybackend.v1.QueryBackendService/Invoke", method.Method);
    }
}
