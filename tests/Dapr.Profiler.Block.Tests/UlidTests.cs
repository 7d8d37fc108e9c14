using System.Text;
using FsCheck;
using FsCheck.Fluent;

namespace Dapr.Profiler.Block.Tests;

public sealed class UlidTests
{
    [Fact]
    public void KnownVector_FromTheUlidSpecification()
    {
        // ulid(1469918176385) in the reference implementation starts with 01ARYZ6S41.
        var ulid = Ulid.Parse("01ARYZ6S41TSV4RRFFQ69G5FAV");
        Assert.Equal(1469918176385L, ulid.TimestampMs);
        Assert.Equal("01ARYZ6S41TSV4RRFFQ69G5FAV", ulid.ToString());
        Assert.StartsWith("01ARYZ6S41", new Ulid(1469918176385L, new byte[10]).ToString(), StringComparison.Ordinal);
        Assert.Equal("01ARYZ6S410000000000000000", new Ulid(1469918176385L, new byte[10]).ToString());
    }

    [Fact]
    public void Extremes_FormatAndParse()
    {
        Assert.Equal("00000000000000000000000000", Ulid.Empty.ToString());
        var max = Ulid.Parse("7ZZZZZZZZZZZZZZZZZZZZZZZZZ");
        Assert.Equal(Ulid.MaxTimestampMs, max.TimestampMs);
        Assert.Equal("7ZZZZZZZZZZZZZZZZZZZZZZZZZ", max.ToString());
        Assert.False(Ulid.TryParse("80000000000000000000000000", out _));
    }

    [Theory]
    [InlineData("")]
    [InlineData("01ARYZ6S41TSV4RRFFQ69G5FA")]
    [InlineData("01ARYZ6S41TSV4RRFFQ69G5FAVX")]
    [InlineData("01ARYZ6S41TSV4RRFFQ69G5FAI")]
    [InlineData("01ARYZ6S41TSV4RRFFQ69G5FAL")]
    [InlineData("01ARYZ6S41TSV4RRFFQ69G5FAO")]
    [InlineData("01ARYZ6S41TSV4RRFFQ69G5FAU")]
    [InlineData("01ARYZ6S41TSV4RRFFQ69G5FA-")]
    [InlineData("01ARYZ6S41TSV4RRFFQ69G5FAé")]
    public void TryParse_RejectsInvalidText(string text)
    {
        Assert.False(Ulid.TryParse(text, out _));
        Assert.Throws<FormatException>(() => Ulid.Parse(text));
    }

    [Fact]
    public void Parse_IsCaseInsensitive()
    {
        Assert.Equal(Ulid.Parse("01ARYZ6S41TSV4RRFFQ69G5FAV"), Ulid.Parse("01aryz6s41tsv4rrffq69g5fav"));
    }

    [Fact]
    public void FormatParseAndBytes_RoundTrip()
    {
        Prop.ForAll(
            Gen.Choose(0, int.MaxValue).Select(t => (long)t * 131).ToArbitrary(),
            ArbMap.Default.ArbFor<byte[]>().Filter(b => b.Length >= 10),
            (time, bytes) =>
            {
                var ulid = new Ulid(time, bytes.AsSpan(0, 10));
                var text = ulid.ToString();
                Span<byte> binary = stackalloc byte[16];
                ulid.WriteBytes(binary);
                return text.Length == 26
                    && Ulid.Parse(text) == ulid
                    && Ulid.FromBytes(binary) == ulid
                    && ulid.TimestampMs == time;
            }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Ordering_FollowsTime_AsValuesAndAsStrings()
    {
        var start = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000);
        var ids = Enumerable.Range(0, 200).Select(i => Ulid.NewUlid(start.AddMilliseconds(i * 7))).ToList();
        var shuffled = ids.OrderBy(_ => Guid.NewGuid()).ToList();

        Assert.Equal(ids, shuffled.Order().ToList());
        Assert.Equal(ids.Select(i => i.ToString()), shuffled.Select(i => i.ToString()).Order(StringComparer.Ordinal));
        Assert.True(ids[0] < ids[1]);
        Assert.True(ids[1] >= ids[0]);
        Assert.Equal(start.AddMilliseconds(7), ids[1].Time);
    }

    [Fact]
    public void FromHash_IsDeterministic_AndDependsOnTheSeed()
    {
        var time = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000);
        var a = Ulid.FromHash(time, Encoding.UTF8.GetBytes("blocks a,b level 0"));
        var again = Ulid.FromHash(time, Encoding.UTF8.GetBytes("blocks a,b level 0"));
        var other = Ulid.FromHash(time, Encoding.UTF8.GetBytes("blocks a,c level 0"));

        Assert.Equal(a, again);
        Assert.NotEqual(a, other);
        Assert.Equal(time, a.Time);
        Assert.NotEqual(Ulid.NewUlid(time), Ulid.NewUlid(time));
    }
}
