namespace Dapr.Profiler.Model.Tests;

public sealed class RegexCacheTests
{
    [Fact]
    public void SelectorsOfOneRequest_CompileEachDistinctPatternOnce_AndStillMatchAlike()
    {
        var cache = new RegexCache();

        Assert.True(LabelSelector.TryParse("{a=~\"[a-z]+\", b!~\"x.*\"}", cache, out var first, out _));
        Assert.True(LabelSelector.TryParse("{c=~\"[a-z]+\", a=~\"[a-z]+\"}", cache, out var second, out _));
        Assert.False(LabelSelector.TryParse("{a=~\"(\"}", cache, out _, out var error));

        Assert.Equal(2, cache.Count);
        Assert.Contains("invalid regular expression", error.Message, StringComparison.Ordinal);
        var labels = LabelSet.Create(new LabelPair("a", "abc"), new LabelPair("b", "y"), new LabelPair("c", "z"));
        Assert.True(first.Matches(labels));
        Assert.True(second.Matches(labels));
        Assert.False(second.Matches(LabelSet.Create(new LabelPair("a", "1"), new LabelPair("c", "z"))));
    }
}
