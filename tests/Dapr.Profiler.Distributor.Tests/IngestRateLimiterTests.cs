using Dapr.Profiler.Mesh;
using Google.Protobuf;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Dapr.Profiler.Distributor.Tests;

public sealed class IngestRateLimiterTests
{
    [Fact]
    public void Acquire_RefillsAtTheRate_UpToTheBurst()
    {
        var time = new ManualTime();
        var limiter = Limiter(time, rate: 1000, burst: 5000);

        limiter.Acquire("t", 5000);
        Assert.Throws<IngestRejectedException>(() => limiter.Acquire("t", 1));
        time.Advance(TimeSpan.FromSeconds(2));
        limiter.Acquire("t", 2000);
        Assert.Throws<IngestRejectedException>(() => limiter.Acquire("t", 1000));
        time.Advance(TimeSpan.FromHours(1));
        limiter.Acquire("t", 5000);
        var rejected = Assert.Throws<IngestRejectedException>(() => limiter.Acquire("t", 1));
        Assert.Equal(RejectionReason.RateLimited, rejected.Reason);
        Assert.Equal("Distributor:IngestionRateBytesPerSecond", rejected.LimitName);
    }

    [Fact]
    public void Acquire_OfMoreThanTheBurst_IsAdmittedFromAFullBucket_AndThenRepaid()
    {
        var time = new ManualTime();
        var limiter = Limiter(time, rate: 1000, burst: 1000);

        limiter.Acquire("t", 3000);
        time.Advance(TimeSpan.FromSeconds(1.5));
        Assert.Throws<IngestRejectedException>(() => limiter.Acquire("t", 1));
        time.Advance(TimeSpan.FromSeconds(1));
        limiter.Acquire("t", 100);
    }

    [Fact]
    public void Acquire_KeepsABucketPerTenant()
    {
        var limiter = Limiter(new ManualTime(), rate: 1, burst: 100);
        limiter.Acquire("a", 100);
        limiter.Acquire("b", 100);
        Assert.Throws<IngestRejectedException>(() => limiter.Acquire("a", 100));
    }

    [Fact]
    public async Task GlobalStrategy_AdmitsTheRateDividedByTheLiveDistributors()
    {
        var time = new ManualTime();
        var options = Options.Create(new DistributorOptions { IngestionRateBytesPerSecond = 3000, IngestionBurstBytes = 3000 });
        var ring = new DistributorRing(options, time, NullLogger<DistributorRing>.Instance, new FixedRing(3));
        Assert.True(await ring.HeartbeatAsync(TestContext.Current.CancellationToken));
        var limiter = new IngestRateLimiter(options, time, ring);

        limiter.Acquire("t", 3000);
        time.Advance(TimeSpan.FromSeconds(1));
        limiter.Acquire("t", 1000);
        var rejected = Assert.Throws<IngestRejectedException>(() => limiter.Acquire("t", 1));
        Assert.Contains("shared by 3 distributors", rejected.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LocalStrategy_AdmitsTheWholeRateInEveryDistributor()
    {
        var time = new ManualTime();
        var options = Options.Create(new DistributorOptions
        {
            IngestionRateBytesPerSecond = 3000,
            IngestionBurstBytes = 3000,
            IngestionRateStrategy = IngestionRateStrategy.Local,
        });
        var ring = new DistributorRing(options, time, NullLogger<DistributorRing>.Instance, new FixedRing(3));
        await ring.HeartbeatAsync(TestContext.Current.CancellationToken);
        var limiter = new IngestRateLimiter(options, time, ring);

        limiter.Acquire("t", 3000);
        time.Advance(TimeSpan.FromSeconds(1));
        limiter.Acquire("t", 3000);
    }

    [Fact]
    public void IdleTenants_AreEvicted_WithoutChangingAnyAnswer()
    {
        var time = new ManualTime();
        var limiter = Limiter(time, rate: 100, burst: 1000);
        for (var i = 0; i < 1000; i++)
        {
            limiter.Acquire($"tenant-{i}", 1000);
        }

        limiter.Acquire("in-debt", 10_000);
        Assert.Equal(1001, limiter.TrackedTenants);

        // 31 s later every bucket that took 1000 bytes is full again, so it goes; the one 9000 bytes in debt is not.
        time.Advance(IngestRateLimiter.SweepInterval + TimeSpan.FromSeconds(1));
        limiter.Acquire("newcomer", 1);
        Assert.Equal(2, limiter.TrackedTenants);
        Assert.Throws<IngestRejectedException>(() => limiter.Acquire("in-debt", 1));
        limiter.Acquire("tenant-0", 1000);
    }

    private static IngestRateLimiter Limiter(TimeProvider time, long rate, long burst) =>
        new(Options.Create(new DistributorOptions { IngestionRateBytesPerSecond = rate, IngestionBurstBytes = burst }), time);

    /// <summary>A ring whose actor always answers the same number of live distributors.</summary>
    private sealed class FixedRing(int live) : IActorInvoker
    {
        public Task<TResponse> InvokeAsync<TRequest, TResponse>(string actorType, ActorId id, string method, TRequest request, CancellationToken cancellationToken)
            where TRequest : IMessage<TRequest>
            where TResponse : IMessage<TResponse>, new()
        {
            Assert.Equal(DaprNames.Actors.DistributorRing, actorType);
            object response = new Protos.Distributor.HeartbeatResponse { LiveMembers = live };
            return Task.FromResult((TResponse)response);
        }
    }

    private sealed class ManualTime : TimeProvider
    {
        private long _ticks = 1_000_000;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _ticks;

        public void Advance(TimeSpan by) => _ticks += by.Ticks;
    }
}
