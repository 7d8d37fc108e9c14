using Dapr.Profiler.Protos.Types;

namespace Dapr.Profiler.QueryFrontend.Tests;

/// <summary>The render API's step ladder and timeline, as Pyroscope's <c>timeline</c> package computes them.</summary>
public sealed class TimelineTests
{
    [Theory]
    [InlineData(0, 15)]
    [InlineData(3_600_000, 15)]
    [InlineData(6 * 3_600_000, 15)]
    [InlineData(12 * 3_600_000, 30)]
    [InlineData(24 * 3_600_000, 60)]
    [InlineData(2 * 24 * 3_600_000L, 120)]
    [InlineData(7 * 24 * 3_600_000L, 300)]
    [InlineData(30 * 24 * 3_600_000L, 1_800)]
    [InlineData(365 * 24 * 3_600_000L, 21_600)]
    [InlineData(26_250_000, 15)]
    [InlineData(26_250_001, 20)]
    public void CalcPointInterval_FollowsTheLadder(long rangeMs, double stepSeconds)
    {
        const long from = 1_700_000_000_000;

        Assert.Equal(stepSeconds, Timeline.CalcPointInterval(from, from + rangeMs));
    }

    [Fact]
    public void CalcPointInterval_ComparesTheLadderBoundsExactly()
    {
        // 17.5 s per point is still 15 s; a nanosecond more rounds to 20 s.
        Assert.Equal(15, Timeline.CalcPointInterval(0, 17_500 * 1500));
        Assert.Equal(20, Timeline.CalcPointInterval(0, (17_500 * 1500) + 1));
    }

    [Fact]
    public void Create_SnapsToTheStep_AndZeroFillsOverTheHalfOpenRange()
    {
        var series = new Series
        {
            Points =
            {
                new Point { Timestamp = 1_000_000_005_000, Value = 1 },
                new Point { Timestamp = 1_000_000_020_000, Value = 2.9 },
                new Point { Timestamp = 1_000_000_050_000, Value = 4 },
                new Point { Timestamp = 1_000_000_065_000, Value = 8 },
            },
        };

        var timeline = Timeline.Create(series, 1_000_000_007_000, 1_000_000_064_999, 15);

        Assert.Equal(1_000_000_005, timeline.StartTime);
        Assert.Equal(15, timeline.DurationDelta);
        // The end snaps down to …050 000: the point there and the one after it are outside [start, end).
        Assert.Equal([1UL, 2, 0], timeline.Samples);
    }

    [Fact]
    public void Create_WithoutPoints_IsAllZeros_AndAnEmptyRangeHasNoSamples()
    {
        Assert.Equal(new ulong[4], Timeline.Create(null, 60_000, 120_000, 15).Samples);
        Assert.Empty(Timeline.Create(null, 60_000, 60_000, 15).Samples);
    }
}
