using Dapr.Profiler.Block;
using Dapr.Profiler.Protos.Block;

namespace Dapr.Profiler.Metastore.Tests;

/// <summary>The partitioned index against a brute-force scan, partition arithmetic and removal.</summary>
public sealed class BlockIndexTests
{
    private static readonly long Hour = (long)TimeSpan.FromHours(1).TotalMilliseconds;

    [Theory]
    [InlineData(0, 0)]
    [InlineData(3_599_999, 0)]
    [InlineData(3_600_000, 3_600_000)]
    [InlineData(-1, -3_600_000)]
    [InlineData(-3_600_000, -3_600_000)]
    [InlineData(-3_600_001, -7_200_000)]
    public void PartitionOf_IsTheFloorOfTheHour(long time, long expected)
    {
        var index = new BlockIndex(TimeSpan.FromHours(1), 744);
        Assert.Equal(expected, index.PartitionOf(time));
    }

    [Fact]
    public void FindDatasets_MatchesABruteForceScan_ForRandomBlocksAndRanges()
    {
        var random = new Random(42);
        var index = new BlockIndex(TimeSpan.FromHours(1), maxPartitionsPerDataset: 48);
        var all = new List<BlockMeta>();
        var start = TestBlocks.Ms(TestBlocks.Now) - (10 * 24 * Hour);
        for (var b = 0; b < 600; b++)
        {
            var datasets = new List<DatasetSpec>();
            for (var d = 0; d < random.Next(1, 6); d++)
            {
                var min = start + random.NextInt64(10 * 24 * Hour);
                var span = random.Next(10) switch
                {
                    0 => random.NextInt64(10 * 24 * Hour), // sometimes wider than 48 partitions
                    < 4 => random.NextInt64(3 * Hour),
                    _ => random.NextInt64(60_000),
                };
                datasets.Add(new DatasetSpec($"t{random.Next(3)}", $"s{random.Next(5)}", min, min + span));
            }

            var block = TestBlocks.Create(datasets, shard: (uint)random.Next(4), id: Ulid.NewUlid(TestBlocks.Now).ToString());
            all.Add(block);
            Assert.True(index.Add(block));
        }

        for (var q = 0; q < 300; q++)
        {
            var from = start + random.NextInt64(11 * 24 * Hour) - Hour;
            var to = from + random.NextInt64(q % 3 == 0 ? 3 * 24 * Hour : 2 * Hour);
            string[] tenants = q % 4 == 0 ? ["t0", "t2"] : [$"t{random.Next(3)}"];
            var service = $"s{random.Next(5)}";

            var actual = index.FindDatasets(tenants, from, to, d => d.Service == service)
                .SelectMany(h => h.Datasets.Select(d => $"{h.Block.Id}/{d.Index}"))
                .ToList();
            var expected = all
                .OrderBy(b => b.Id, StringComparer.Ordinal)
                .SelectMany(b => b.Datasets.Select((d, i) => (Block: b, Dataset: d, Index: i)))
                .Where(x => tenants.Contains(x.Block.GetTenant(x.Dataset)) && x.Block.GetServiceName(x.Dataset) == service
                    && x.Dataset.MinTime <= to && x.Dataset.MaxTime >= from)
                .Select(x => $"{x.Block.Id}/{x.Index}")
                .ToList();

            Assert.Equal(expected, actual);
        }

        Assert.True(index.WideDatasetCount > 0, "the random blocks should include wide datasets");
    }

    [Fact]
    public void Remove_TakesTheBlockOutOfEveryPartitionAndTheStats()
    {
        var index = new BlockIndex(TimeSpan.FromHours(1), 744);
        var now = TestBlocks.Ms(TestBlocks.Now);
        var early = TestBlocks.Create(new DatasetSpec("acme", "a", now - (5 * Hour), now - (3 * Hour)));
        var late = TestBlocks.Create(new DatasetSpec("acme", "a", now - Hour, now));
        index.Add(early);
        index.Add(late);
        var partitionsBefore = index.PartitionCount;

        Assert.True(index.Remove(early.Id));
        Assert.False(index.Remove(early.Id));

        Assert.Equal(1, index.Count);
        Assert.True(index.PartitionCount < partitionsBefore);
        Assert.Empty(index.FindDatasets(["acme"], now - (5 * Hour), now - (3 * Hour), _ => true));
        Assert.Equal(now - Hour, index.GetTenantSummary("acme").OldestMs);
        Assert.True(index.Add(early));
    }

    [Fact]
    public void ExtremeTimes_DoNotOverflow()
    {
        var index = new BlockIndex(TimeSpan.FromHours(1), 744);
        var block = TestBlocks.Create(
            new DatasetSpec("acme", "min", long.MinValue, long.MinValue + 1),
            new DatasetSpec("acme", "max", long.MaxValue - 1, long.MaxValue),
            new DatasetSpec("acme", "all", long.MinValue, long.MaxValue));

        Assert.True(index.Add(block));
        Assert.Equal(3, index.FindDatasets(["acme"], long.MinValue, long.MaxValue, _ => true).Single().Datasets.Count);
        Assert.Equal(2, index.FindDatasets(["acme"], long.MaxValue, long.MaxValue, _ => true).Single().Datasets.Count);
        Assert.True(index.Remove(block.Id));
        Assert.Equal(0, index.PartitionCount);
    }
}
