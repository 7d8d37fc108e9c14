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

    private static IngestRateLimiter Limiter(TimeProvider time, long rate, long burst) =>
        new(Options.Create(new DistributorOptions { IngestionRateBytesPerSecond = rate, IngestionBurstBytes = burst }), time);

    private sealed class ManualTime : TimeProvider
    {
        private long _ticks = 1_000_000;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _ticks;

        public void Advance(TimeSpan by) => _ticks += by.Ticks;
    }
}
