using Dapr.Profiler.Mesh;
using Dapr.Profiler.Protos.Distributor;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Dapr.Profiler.Distributor.Tests;

/// <summary>The <c>DistributorRing</c> actor as the distributors see it, on the in-process actor runtime.</summary>
public sealed class DistributorRingTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ring-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Members_AreCountedUntilTheyLeaveOrStopAnnouncingThemselves()
    {
        var clock = new Clock();
        await using var provider = Provider(clock);
        var runtime = provider.GetRequiredService<InProcessActorRuntime>();
        await runtime.StartAsync(TestContext.Current.CancellationToken);
        try
        {
            Assert.Equal(1, await BeatAsync(runtime, "a", ttlMs: 15_000));
            Assert.Equal(2, await BeatAsync(runtime, "b", ttlMs: 15_000));
            Assert.Equal(3, await BeatAsync(runtime, "c", ttlMs: 15_000));
            Assert.Equal(3, await BeatAsync(runtime, "a", ttlMs: 15_000));

            // b leaves; c falls silent and expires while a keeps announcing itself.
            Assert.Equal(2, await BeatAsync(runtime, "b", ttlMs: 0));
            clock.Advance(TimeSpan.FromSeconds(10));
            Assert.Equal(2, await BeatAsync(runtime, "a", ttlMs: 15_000));
            clock.Advance(TimeSpan.FromSeconds(10));
            Assert.Equal(1, await BeatAsync(runtime, "a", ttlMs: 15_000));
        }
        finally
        {
            await runtime.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task TheDistributorsShare_AndATenantsRateFollowsTheirNumber()
    {
        var clock = new Clock();
        await using var provider = Provider(clock, ("Distributor:IngestionRateBytesPerSecond", "4000"));
        var runtime = provider.GetRequiredService<InProcessActorRuntime>();
        await runtime.StartAsync(TestContext.Current.CancellationToken);
        try
        {
            var ring = provider.GetRequiredService<DistributorRing>();
            var limiter = provider.GetRequiredService<IngestRateLimiter>();
            Assert.True(await ring.HeartbeatAsync(TestContext.Current.CancellationToken));
            Assert.Equal(4000, limiter.LocalRate);

            await BeatAsync(runtime, "other-distributor", ttlMs: 15_000);
            Assert.True(await ring.HeartbeatAsync(TestContext.Current.CancellationToken));
            Assert.Equal(2, ring.LiveMembers);
            Assert.Equal(2000, limiter.LocalRate);
        }
        finally
        {
            await runtime.StopAsync(CancellationToken.None);
        }
    }

    private ServiceProvider Provider(Clock clock, params (string Key, string Value)[] settings)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Actors:DataDirectory"] = _dir })
            .AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)))
            .Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<TimeProvider>(clock);
        services.AddDistributor(configuration);
        services.AddInProcessActorRuntime(configuration);
        return services.BuildServiceProvider();
    }

    private static async Task<int> BeatAsync(InProcessActorRuntime actors, string member, long ttlMs)
    {
        var response = await actors.InvokeAsync<HeartbeatRequest, HeartbeatResponse>(
            DaprNames.Actors.DistributorRing,
            new ActorId(DaprNames.Actors.DistributorRingId),
            DaprNames.Actors.DistributorRingHeartbeat,
            new HeartbeatRequest { MemberId = member, TtlMs = ttlMs },
            TestContext.Current.CancellationToken);
        return response.LiveMembers;
    }

    private sealed class Clock : TimeProvider
    {
        private DateTimeOffset _now = new(2026, 12, 4, 12, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }
}
