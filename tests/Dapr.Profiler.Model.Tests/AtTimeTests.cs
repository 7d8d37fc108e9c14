namespace Dapr.Profiler.Model.Tests;

public sealed class AtTimeTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 21, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("1795240000", "2026-11-21T05:46:40Z")]
    [InlineData("1795240000123", "2026-11-21T05:46:40.123Z")]
    [InlineData("1795240000123456", "2026-11-21T05:46:40.123456Z")]
    [InlineData("1795240000123456789", "2026-11-21T05:46:40.1234567Z")]
    [InlineData("20261120", "2026-11-20T00:00:00Z")]
    [InlineData("now", "2026-11-21T12:00:00Z")]
    [InlineData("now-1h", "2026-11-21T11:00:00Z")]
    [InlineData("now-1h30m", "2026-11-21T10:30:00Z")]
    [InlineData("now+2d", "2026-11-23T12:00:00Z")]
    [InlineData("now-1M", "2026-10-22T12:00:00Z")]
    [InlineData("now-90min", "2026-11-21T10:30:00Z")]
    [InlineData("1_795_240_000", "2026-11-21T05:46:40Z")]
    [InlineData("", "2026-11-21T12:00:00Z")]
    [InlineData("garbage", "2026-11-21T12:00:00Z")]
    [InlineData("now-99999999y", "2026-11-21T12:00:00Z")]
    [InlineData("now-20000y", "2026-11-21T12:00:00Z")]
    [InlineData("now+9000y", "2026-11-21T12:00:00Z")]
    public void Parse_FollowsPyroscopesRules(string text, string expected)
    {
        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), AtTime.Parse(text, Now));
    }
}
