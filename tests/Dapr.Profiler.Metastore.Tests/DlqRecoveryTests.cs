using Dapr.Profiler.ObjectStorage;
using Dapr.Profiler.Protos.Block;
using Google.Protobuf;
using Microsoft.Extensions.Logging.Abstractions;

namespace Dapr.Profiler.Metastore.Tests;

/// <summary>DLQ recovery against the real filesystem object store.</summary>
public sealed class DlqRecoveryTests : MetastoreTestBase
{
    private FileSystemObjectStore NewStore() => new(Path.Combine(DataDirectory, "bucket"));

    private static string DlqKey(BlockMeta block) => $"dlq/{block.Shard}/anonymous/{block.Id}/meta.pb";

    [Fact]
    public async Task RecoverOnce_AddsEveryParkedBlock_AndDeletesItsEntry()
    {
        var node = await OpenAsync();
        var store = NewStore();
        var parked = Enumerable.Range(0, 5).Select(i => TestBlocks.Segment(i, TestBlocks.Now.AddSeconds(i), shard: (uint)i)).ToList();
        foreach (var block in parked)
        {
            await store.PutAsync(DlqKey(block), block.ToByteArray(), Token);
        }

        // One of them was indexed already (the AddBlock that "failed" had in fact committed): still fine.
        await node.AddBlockAsync(parked[2], Token);
        await store.PutAsync("segments/0/anonymous/x/block.bin", new byte[] { 1, 2, 3 }, Token);

        var recovered = await new DlqRecovery(node, store, NullLogger.Instance).RecoverOnceAsync(Token);

        Assert.Equal(5, recovered);
        Assert.Equal(parked.Select(b => b.Id).Order(StringComparer.Ordinal), await DurabilityTests.IdsAsync(node));
        Assert.Empty(await store.ListAsync("dlq/", Token).ToListAsync(Token));
        Assert.Single(await store.ListAsync("segments/", Token).ToListAsync(Token));
    }

    [Fact]
    public async Task RecoverOnce_MovesInvalidEntriesAside_AndKeepsGoing()
    {
        var node = await OpenAsync();
        var store = NewStore();
        var good = TestBlocks.Segment(1, TestBlocks.Now);
        var invalid = TestBlocks.Segment(2, TestBlocks.Now);
        invalid.Datasets[0].Tenant = 10_000;
        await store.PutAsync("dlq/1/anonymous/00000000000000000000000000/meta.pb", new byte[] { 0xFF, 0xFF, 0xFF }, Token);
        await store.PutAsync(DlqKey(invalid), invalid.ToByteArray(), Token);
        await store.PutAsync(DlqKey(good), good.ToByteArray(), Token);

        var recovered = await new DlqRecovery(node, store, NullLogger.Instance).RecoverOnceAsync(Token);

        Assert.Equal(1, recovered);
        Assert.Equal([good.Id], await DurabilityTests.IdsAsync(node));
        Assert.Empty(await store.ListAsync("dlq/", Token).ToListAsync(Token));
        Assert.Equal(2, (await store.ListAsync("dlq-rejected/", Token).ToListAsync(Token)).Count);
    }

    [Fact]
    public async Task RecoverOnce_WhenTheLogFails_LeavesTheEntryForTheNextPass()
    {
        var faults = new FaultyCommandLog.Switch();
        var node = await OpenAsync(logFactory: FaultyCommandLog.Factory(faults));
        var store = NewStore();
        var block = TestBlocks.Segment(1, TestBlocks.Now);
        await store.PutAsync(DlqKey(block), block.ToByteArray(), Token);
        var recovery = new DlqRecovery(node, store, NullLogger.Instance);

        faults.FailCommits = true;
        await Assert.ThrowsAsync<MetastoreUnavailableException>(() => recovery.RecoverOnceAsync(Token));
        Assert.Single(await store.ListAsync("dlq/", Token).ToListAsync(Token));

        faults.FailCommits = false;
        Assert.Equal(1, await recovery.RecoverOnceAsync(Token));
        Assert.Equal([block.Id], await DurabilityTests.IdsAsync(node));
    }
}
