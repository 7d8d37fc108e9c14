using Dapr.Profiler.Cli.Chaos;

namespace Dapr.Profiler.Cli.Tests;

/// <summary>The chaos generator is reproducible from its seed and covers every category.</summary>
public sealed class ChaosGeneratorTests
{
    private const long Now = 1_750_000_000;

    private static readonly Lazy<ChaosGenerator> Generator = new(() => new ChaosGenerator(ChaosCorpus.Load(null).Select(c => c.Profile).ToList(), Now));

    [Fact]
    public void SameSeed_GivesTheSameRequests()
    {
        var fresh = new ChaosGenerator(ChaosCorpus.Load(null).Select(c => c.Profile).ToList(), Now);
        for (var i = 0; i < 96; i++)
        {
            var a = Generator.Value.Generate(7, i);
            var b = fresh.Generate(7, i);
            Assert.Equal((a.Category, a.Method, a.PathAndQuery, a.ContentType, a.ContentEncoding, a.Description), (b.Category, b.Method, b.PathAndQuery, b.ContentType, b.ContentEncoding, b.Description));
            Assert.True(a.Body.AsSpan().SequenceEqual(b.Body), $"request {i} ({a.Description}) has a different body");
        }
    }

    [Fact]
    public void RequestsDoNotDependOnWhichOthersWereGenerated()
    {
        var alone = Generator.Value.Generate(7, 61);
        var fresh = new ChaosGenerator(ChaosCorpus.Load(null).Select(c => c.Profile).ToList(), Now);
        for (var i = 0; i < 61; i++)
        {
            fresh.Generate(7, i);
        }

        var inSequence = fresh.Generate(7, 61);
        Assert.Equal(alone.PathAndQuery, inSequence.PathAndQuery);
        Assert.True(alone.Body.AsSpan().SequenceEqual(inSequence.Body));
    }

    [Fact]
    public void DifferentSeeds_GiveDifferentRequests()
    {
        var seven = Enumerable.Range(0, 40).Select(i => Generator.Value.Generate(7, i).Description + Generator.Value.Generate(7, i).PathAndQuery);
        var eight = Enumerable.Range(0, 40).Select(i => Generator.Value.Generate(8, i).Description + Generator.Value.Generate(8, i).PathAndQuery);
        Assert.NotEqual(seven, eight);
    }

    [Fact]
    public void EveryCategoryIsCovered_AndNoRequestTouchesTheBaseline()
    {
        var requests = Enumerable.Range(0, 300).Select(i => Generator.Value.Generate(7, i)).ToList();

        Assert.Equal(ChaosGenerator.Categories.Order(), requests.Select(r => r.Category).Distinct().Order());
        Assert.All(ChaosGenerator.Categories, c => Assert.True(requests.Count(r => r.Category == c) >= 30, $"{c} has too few requests"));
        Assert.All(requests, r =>
        {
            Assert.DoesNotContain(ChaosBaseline.Service, r.PathAndQuery, StringComparison.Ordinal);
            Assert.DoesNotContain(ChaosBaseline.RunLabel, r.PathAndQuery, StringComparison.Ordinal);
            Assert.False(r.Body.AsSpan().IndexOf(System.Text.Encoding.UTF8.GetBytes(ChaosBaseline.Service)) >= 0, r.Description);
        });
    }

    [Fact]
    public void TheCategoriesTryWhatTheyPromise()
    {
        var descriptions = Enumerable.Range(0, 2_000).Select(i => Generator.Value.Generate(11, i)).GroupBy(r => r.Category)
            .ToDictionary(g => g.Key, g => string.Join('\n', g.Select(r => r.Description)));

        foreach (var expected in new[] { "bit flips", "truncated", "random varint", "out of range", "missing location", "missing function", "zero id", "inline lines", "stack of", "sums overflow", "negative values", "sample labels" })
        {
            Assert.Contains(expected, descriptions[ChaosCategory.PprofMutation], StringComparison.Ordinal);
        }

        Assert.Contains("boundary of 20,000 characters", descriptions[ChaosCategory.Multipart], StringComparison.Ordinal);
        Assert.Contains("duplicate profile parts", descriptions[ChaosCategory.Multipart], StringComparison.Ordinal);
        Assert.Contains("bad sample_type_config", descriptions[ChaosCategory.Multipart], StringComparison.Ordinal);
        Assert.Contains("Series with 5000 matchers", descriptions[ChaosCategory.Selector], StringComparison.Ordinal);
        Assert.Contains("bad or costly regex", descriptions[ChaosCategory.Selector], StringComparison.Ordinal);
        Assert.Contains("unicode", descriptions[ChaosCategory.Selector], StringComparison.Ordinal);
        Assert.Contains("inverted", descriptions[ChaosCategory.TimeRange], StringComparison.Ordinal);
        Assert.Contains("int64 min to max", descriptions[ChaosCategory.TimeRange], StringComparison.Ordinal);
        Assert.Contains("max_nodes 9223372036854775807", descriptions[ChaosCategory.QuerierBody], StringComparison.Ordinal);
        Assert.Contains("limit -1", descriptions[ChaosCategory.QuerierBody], StringComparison.Ordinal);
        Assert.Contains("random bytes as proto", descriptions[ChaosCategory.PushBody], StringComparison.Ordinal);
        Assert.Contains("(JSON)", descriptions[ChaosCategory.PushBody], StringComparison.Ordinal);
        Assert.Contains("expanding to", descriptions[ChaosCategory.GzipBomb], StringComparison.Ordinal);
        Assert.Contains("from=", descriptions[ChaosCategory.IngestQuery], StringComparison.Ordinal);
    }

    [Fact]
    public void GzipBombs_AreSmallButExpandPastTheServersLimit()
    {
        var bombs = Enumerable.Range(0, 200).Select(i => Generator.Value.Generate(3, i)).Where(r => r.Category == ChaosCategory.GzipBomb).ToList();

        Assert.NotEmpty(bombs);
        Assert.All(bombs, b => Assert.True(b.Body.Length < 1 << 20, $"{b.Description}: {b.Body.Length} bytes"));
        Assert.All(bombs, b => Assert.Matches(@"expanding to (17|32|64) MiB", b.Description));
    }
}
