using Dapr.Profiler.Protos.Metastore;

namespace Dapr.Profiler.Metastore.Tests;

public sealed class ConcurrencyTests : MetastoreTestBase
{
    [Fact]
    public async Task ConcurrentAddBlocks_FromManyTasks_AreAllIndexedAndDurable()
    {
        const int Writers = 32;
        const int PerWriter = 40;
        var options = NewOptions();
        options.SnapshotEveryCommands = 300;
        var node = await OpenAsync(options);
        var service = new MetastoreService(node);
        var ids = new string[Writers * PerWriter];

        await Task.WhenAll(Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < PerWriter; i++)
            {
                var n = (w * PerWriter) + i;
                var block = TestBlocks.Segment(n, TestBlocks.Now.AddMilliseconds(n), shard: (uint)(w % 8));
                ids[n] = block.Id;
                await service.AddBlockAsync(new AddBlockRequest { Block = block }, Token);

                // Linearizable: an acknowledged block is visible to the next read.
                var found = await QueryMetadataTests.QueryAsync(
                    service, ["tenant-0"], block.MinTime, block.MaxTime, "");
                Assert.Contains(found.Blocks, b => b.Id == block.Id);
            }
        }, Token)));

        Assert.Equal(ids.Order(StringComparer.Ordinal), await DurabilityTests.IdsAsync(node));
        await node.DisposeAsync();
        var reopened = await OpenAsync(options);
        Assert.Equal(ids.Order(StringComparer.Ordinal), await DurabilityTests.IdsAsync(reopened));
    }

    [Fact]
    public async Task SameBlockTwice_EvenConcurrently_IsIndexedOnceAndLoggedOnce()
    {
        var node = await OpenAsync();
        var block = TestBlocks.Segment(1, TestBlocks.Now);
        await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => Task.Run(() => node.AddBlockAsync(block.Clone(), Token), Token)));
        await node.AddBlockAsync(block, Token);

        // Same id, different content: still the first one (AddBlock is idempotent by id).
        var changed = block.Clone();
        changed.Shard = 99;
        await node.AddBlockAsync(changed, Token);

        Assert.Equal([block.Id], await DurabilityTests.IdsAsync(node));
        var shard = await node.ReadAsync(i => i.Blocks.Single().Shard, Token);
        Assert.Equal(block.Shard, shard);
        await node.DisposeAsync();

        var reopened = await OpenAsync();
        Assert.Equal(1, reopened.LastRecovery.Commands);
        Assert.Equal([block.Id], await DurabilityTests.IdsAsync(reopened));
    }

    [Fact]
    public async Task ConcurrentReaders_SeeWholeBatches_WhileWritersAdd()
    {
        var node = await OpenAsync();
        var service = new MetastoreService(node);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Token);
        var readers = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            var last = 0;
            while (!stop.IsCancellationRequested)
            {
                var response = await QueryMetadataTests.QueryAsync(service, ["tenant-1"], 0, long.MaxValue, "");
                Assert.True(response.Blocks.Count >= last, "a later read saw fewer blocks");
                last = response.Blocks.Count;
            }
        }, Token)).ToList();

        await Task.WhenAll(Enumerable.Range(0, 200).Select(i => node.AddBlockAsync(TestBlocks.Segment(i, TestBlocks.Now.AddSeconds(i)), Token)));
        await stop.CancelAsync();
        await Task.WhenAll(readers);
        Assert.Equal(200, node.BlockCount);
    }
}
