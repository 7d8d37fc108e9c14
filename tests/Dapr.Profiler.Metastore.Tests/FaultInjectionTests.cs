using Dapr.Profiler.Mesh;

namespace Dapr.Profiler.Metastore.Tests;

/// <summary>A command log whose commits fail on demand, wrapped around the real FASTER log.</summary>
internal sealed class FaultyCommandLog(ICommandLog inner, FaultyCommandLog.Switch faults) : ICommandLog
{
    public long FirstAddress => inner.FirstAddress;

    public long BeginAddress => inner.BeginAddress;

    public long TailAddress => inner.TailAddress;

    public static CommandLogFactory Factory(Switch faults) =>
        (directory, options) => new FaultyCommandLog(FasterCommandLog.Open(directory, options), faults);

    public long Append(ReadOnlySpan<byte> record) => inner.Append(record);

    public ValueTask CommitAsync(CancellationToken cancellationToken)
    {
        if (faults.FailCommits)
        {
            faults.FailedCommits++;
            throw new IOException("injected: the disk refused the write");
        }

        return inner.CommitAsync(cancellationToken);
    }

    public IEnumerable<LogRecord> ReadCommitted(long fromAddress) => inner.ReadCommitted(fromAddress);

    public void TruncateUntil(long address) => inner.TruncateUntil(address);

    public long SizeOnDisk() => inner.SizeOnDisk();

    public void Dispose() => inner.Dispose();

    /// <summary>Shared by every log the factory opens (the node reopens its log after a failure).</summary>
    internal sealed class Switch
    {
        public volatile bool FailCommits;

        public int FailedCommits;
    }
}

public sealed class FaultInjectionTests : MetastoreTestBase
{
    [Fact]
    public async Task FailingCommit_RejectsTheWriteWithATypedError_AndLeavesNoPhantom()
    {
        var faults = new FaultyCommandLog.Switch();
        var factory = FaultyCommandLog.Factory(faults);
        var node = await OpenAsync(logFactory: factory);
        var before = TestBlocks.Segment(1, TestBlocks.Now);
        var failed = TestBlocks.Segment(2, TestBlocks.Now.AddSeconds(1));
        var after = TestBlocks.Segment(3, TestBlocks.Now.AddSeconds(2));
        await node.AddBlockAsync(before, Token);

        // 1. The commit fails: the caller gets a transient, typed error and the index does not have the block.
        faults.FailCommits = true;
        var error = await Assert.ThrowsAsync<MetastoreUnavailableException>(() => node.AddBlockAsync(failed, Token));
        Assert.Equal(ServiceStatus.Unavailable, error.Status);
        Assert.True(error.IsTransient);
        Assert.Equal([before.Id], await DurabilityTests.IdsAsync(node));

        // 2. The disk recovers: the next write reopens the log; the failed record was never committed.
        faults.FailCommits = false;
        await node.AddBlockAsync(after, Token);
        Assert.Equal(new[] { before.Id, after.Id }.Order(StringComparer.Ordinal), await DurabilityTests.IdsAsync(node));
        await node.DisposeAsync();

        // 3. After a restart the failed block is still absent, the others present.
        var reopened = await OpenAsync(logFactory: factory);
        Assert.Equal(new[] { before.Id, after.Id }.Order(StringComparer.Ordinal), await DurabilityTests.IdsAsync(reopened));
        Assert.Equal(1, faults.FailedCommits);
    }

    [Fact]
    public async Task FailingCommit_FailsEveryWriteOfTheBatch_AndARetrySucceeds()
    {
        var faults = new FaultyCommandLog.Switch();
        var node = await OpenAsync(logFactory: FaultyCommandLog.Factory(faults));
        var blocks = Enumerable.Range(0, 20).Select(i => TestBlocks.Segment(i, TestBlocks.Now.AddSeconds(i))).ToList();

        faults.FailCommits = true;
        var results = await Task.WhenAll(blocks.Select(async b =>
        {
            try
            {
                await node.AddBlockAsync(b, Token);
                return true;
            }
            catch (MetastoreUnavailableException)
            {
                return false;
            }
        }));
        Assert.All(results, Assert.False);
        Assert.Empty(await DurabilityTests.IdsAsync(node));

        // The segment-writer's retry (or DLQ recovery) adds them again.
        faults.FailCommits = false;
        await Task.WhenAll(blocks.Select(b => node.AddBlockAsync(b, Token)));
        Assert.Equal(blocks.Select(b => b.Id).Order(StringComparer.Ordinal), await DurabilityTests.IdsAsync(node));
    }

    [Fact]
    public async Task UnrecoverableLog_FailsReadinessInsteadOfStartingEmpty()
    {
        var options = NewOptions();
        var node = await OpenAsync(options);
        await node.AddBlockAsync(TestBlocks.Segment(1, TestBlocks.Now), Token);
        await node.SnapshotAsync();
        await node.AddBlockAsync(TestBlocks.Segment(2, TestBlocks.Now), Token);
        await node.SnapshotAsync();
        await node.DisposeAsync();

        // The log was truncated after the first snapshot; with every snapshot gone, its start is unrecoverable.
        foreach (var file in Directory.GetFiles(SnapshotDirectory))
        {
            File.Delete(file);
        }

        var broken = new MetastoreNode(options, null, null);
        broken.Start();
        await Assert.ThrowsAsync<MetastoreCorruptedException>(() => broken.Ready);
        var service = new MetastoreService(broken);
        await Assert.ThrowsAsync<MetastoreUnavailableException>(() => QueryMetadataTests.QueryAsync(service, ["tenant-0"], 0, long.MaxValue, ""));
        await broken.DisposeAsync();
    }
}
