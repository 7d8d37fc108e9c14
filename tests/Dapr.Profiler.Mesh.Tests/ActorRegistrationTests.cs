using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Dapr.Profiler.Mesh.Tests;

public sealed class ActorRegistrationTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Host_WithTheRuntimeAndAnActor_ServesCalls_AndStopsCleanly()
    {
        var probe = new Probe();
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Actors:DataDirectory"] = _dir.Path,
            ["Actors:ActorIdleTimeout"] = "00:10:00",
        });
        builder.Services.AddInProcessActorRuntime(builder.Configuration);
        builder.Services.AddActor(CounterActor.TypeName, (sp, host) => new CounterActor(host, probe), m => m
            .Map<Int64Value, Int64Value>("Increment", (a, r, ct) => Task.FromResult(new Int64Value { Value = r.Value })));
        using var app = builder.Build();

        await app.StartAsync(TestContext.Current.CancellationToken);
        var invoker = app.Services.GetRequiredService<IActorInvoker>();
        var response = await invoker.InvokeAsync<Int64Value, Int64Value>(CounterActor.TypeName, new ActorId("di"), "Increment", new Int64Value { Value = 7 }, TestContext.Current.CancellationToken);
        await app.StopAsync(TestContext.Current.CancellationToken);

        Assert.Equal(7, response.Value);
        Assert.Equal(TimeSpan.FromMinutes(10), app.Services.GetRequiredService<IOptions<ActorRuntimeOptions>>().Value.ActorIdleTimeout);
        Assert.Equal(["di"], probe.Deactivations);
        Assert.True(File.Exists(Path.Join(_dir.Path, "actors", "runtime.lock")));
    }

    [Fact]
    public void InvalidOptions_AreRejected_WithEveryReason()
    {
        var result = new ActorRuntimeOptionsValidator().Validate(null, new ActorRuntimeOptions
        {
            DataDirectory = "",
            ActorIdleTimeout = TimeSpan.Zero,
            ScanInterval = TimeSpan.FromSeconds(-1),
        });

        Assert.True(result.Failed);
        Assert.Equal(3, result.Failures!.Count());
        Assert.True(new ActorRuntimeOptionsValidator().Validate(null, new ActorRuntimeOptions()).Succeeded);
        Assert.Equal(TimeSpan.FromMinutes(60), new ActorRuntimeOptions().ActorIdleTimeout);
    }
}
