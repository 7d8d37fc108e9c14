using Dapr.Profiler.Model;

namespace Dapr.Profiler.Distributor.Tests;

public sealed class ShardPlacementTests
{
    /// <summary>Values computed with an independent implementation of the paper's C++ code (in Python, 64-bit wrap).</summary>
    [Theory]
    [InlineData(0UL, 1, 0)]
    [InlineData(1UL, 1, 0)]
    [InlineData(42UL, 57, 43)]
    [InlineData(0xDEAD10CCUL, 666, 361)]
    [InlineData(256UL, 1024, 520)]
    [InlineData(ulong.MaxValue, 4, 2)]
    [InlineData(123456789UL, 4, 0)]
    public void JumpHash_MatchesTheReferenceAlgorithm(ulong key, int buckets, int expected) =>
        Assert.Equal(expected, JumpHash.Bucket(key, buckets));

    [Fact]
    public void JumpHash_GrowingByOneBucket_MovesKeysOnlyIntoTheNewBucket()
    {
        for (var n = 1; n < 40; n++)
        {
            for (var i = 0UL; i < 2000; i++)
            {
                var key = XxHash64.Hash(i.ToString(System.Globalization.CultureInfo.InvariantCulture));
                var before = JumpHash.Bucket(key, n);
                var after = JumpHash.Bucket(key, n + 1);
                Assert.True(after == before || after == n, $"key {key}: {before} -> {after} with {n} -> {n + 1} buckets");
            }
        }
    }

    [Fact]
    public void Shard_IsDeterministicAndNeverZero()
    {
        var a = new ShardPlacement(4, 0, 1);
        var b = new ShardPlacement(4, 0, 1);
        var labels = LabelSet.Create(new LabelPair("service_name", "checkout"), new LabelPair("__name__", "process_cpu"));
        var shard = a.Shard("anonymous", "checkout", labels.Fingerprint);

        Assert.InRange(shard, 1u, 4u);
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(shard, b.Shard("anonymous", "checkout", labels.Fingerprint));
        }
    }

    [Fact]
    public void Shard_SpreadsServicesOverEveryShard()
    {
        var placement = new ShardPlacement(4, 0, 1);
        var counts = new int[5];
        for (var i = 0; i < 400; i++)
        {
            counts[placement.Shard("anonymous", $"service-{i}", 12345)]++;
        }

        Assert.Equal(0, counts[0]);
        Assert.All(counts[1..], c => Assert.InRange(c, 60, 140));
    }

    [Fact]
    public void Shard_WithOneDatasetShard_KeepsEverySeriesOfAServiceTogether()
    {
        var placement = new ShardPlacement(8, 0, 1);
        var shards = Enumerable.Range(0, 200).Select(i => placement.Shard("anonymous", "checkout", XxHash64.Hash($"series-{i}"))).Distinct();
        Assert.Single(shards);
    }

    [Fact]
    public void Shard_WithSeveralDatasetShards_SpreadsSeriesByFingerprint_WithinTheTenantRange()
    {
        var placement = new ShardPlacement(16, 4, 3);
        var tenantShards = Enumerable.Range(0, 300)
            .Select(i => placement.Shard("tenant-x", $"service-{i % 30}", XxHash64.Hash($"series-{i}")))
            .Distinct()
            .Order()
            .ToArray();
        var serviceShards = Enumerable.Range(0, 300)
            .Select(i => placement.Shard("tenant-x", "checkout", XxHash64.Hash($"series-{i}")))
            .Distinct()
            .ToArray();

        Assert.Equal(3, serviceShards.Length);
        Assert.InRange(tenantShards.Length, 2, 4);
        // The tenant's range is 4 consecutive shards, wrapping at 16: the used shards fit in such a window.
        Assert.Contains(Enumerable.Range(1, 16), start => tenantShards.All(s => (s - start + 16) % 16 < 4));
    }

    [Fact]
    public void Shard_ClampsTenantAndDatasetShardsToTheShardCount()
    {
        var placement = new ShardPlacement(2, 10, 10);
        var shards = Enumerable.Range(0, 100).Select(i => placement.Shard("t", "s", XxHash64.Hash($"{i}"))).Distinct().Order();
        Assert.Equal([1u, 2u], shards);
    }
}
