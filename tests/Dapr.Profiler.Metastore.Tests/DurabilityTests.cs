namespace Dapr.Profiler.Metastore.Tests;

/// <summary>Reopening on the same directory: with and without snapshots, and with the log bounded by snapshots.</summary>
public sealed class DurabilityTests(ITestOutputHelper output) : MetastoreTestBase
{
    [Fact]
    public async Task Reopen_WithoutSnapshots_RestoresEveryAcknowledgedBlock()
    {
        var expected = new HashSet<string>(StringComparer.Ordinal);
        for (var round = 0; round < 4; round++)
        {
            var node = await OpenAsync();
            Assert.Equal(expected.Order(StringComparer.Ordinal), await IdsAsync(node));
            for (var i = 0; i < 25; i++)
            {
                var block = TestBlocks.Segment(round * 100 + i, TestBlocks.Now.AddMinutes(round * 10 + i), shard: (uint)(i % 3));
                await node.AddBlockAsync(block, Token);
                expected.Add(block.Id);
            }

            await node.DisposeAsync();
        }

        var last = await OpenAsync();
        Assert.Equal(expected.Order(StringComparer.Ordinal), await IdsAsync(last));
        Assert.Equal(0, last.SnapshotAddress);
    }

    [Fact]
    public async Task Reopen_WithSnapshots_RestoresEveryAcknowledgedBlock()
    {
        var options = NewOptions();
        options.SnapshotEveryCommands = 7;
        var expected = new HashSet<string>(StringComparer.Ordinal);
        for (var round = 0; round < 4; round++)
        {
            var node = await OpenAsync(options);
            Assert.Equal(expected.Order(StringComparer.Ordinal), await IdsAsync(node));
            for (var i = 0; i < 20; i++)
            {
                var block = TestBlocks.Segment(round * 100 + i, TestBlocks.Now.AddMinutes(round * 10 + i));
                await node.AddBlockAsync(block, Token);
                expected.Add(block.Id);
            }

            // Half the rounds end with a snapshot still being written: disposal waits for it.
            if (round % 2 == 0)
            {
                await node.WaitForSnapshotAsync();
            }

            await node.DisposeAsync();
        }

        var last = await OpenAsync(options);
        Assert.Equal(expected.Order(StringComparer.Ordinal), await IdsAsync(last));
        Assert.True(last.SnapshotAddress > 0);
        Assert.InRange(Directory.GetFiles(SnapshotDirectory, "snapshot-*.bin").Length, 1, 2);
    }

    [Fact]
    public async Task Reopen_AfterACrashDuringASnapshot_IgnoresTheHalfWrittenFile()
    {
        var node = await OpenAsync();
        var block = TestBlocks.Segment(1, TestBlocks.Now);
        await node.AddBlockAsync(block, Token);
        await node.DisposeAsync();
        var temp = Path.Combine(SnapshotDirectory, "snapshot-00000000000099999999.bin.tmp");
        await File.WriteAllBytesAsync(temp, new byte[100], Token);

        var reopened = await OpenAsync();

        Assert.Equal([block.Id], await IdsAsync(reopened));
        Assert.False(File.Exists(temp));
    }

    [Fact]
    public async Task Reopen_WhenTheNewestSnapshotIsDamaged_FallsBackToThePreviousOneAndTheLog()
    {
        var options = NewOptions();
        var node = await OpenAsync(options);
        var expected = new List<string>();
        for (var i = 0; i < 30; i++)
        {
            var block = TestBlocks.Segment(i, TestBlocks.Now.AddSeconds(i));
            await node.AddBlockAsync(block, Token);
            expected.Add(block.Id);
            if (i is 9 or 19)
            {
                await node.SnapshotAsync();
            }
        }

        await node.DisposeAsync();
        var newest = Directory.GetFiles(SnapshotDirectory, "snapshot-*.bin").Order(StringComparer.Ordinal).Last();
        var bytes = await File.ReadAllBytesAsync(newest, Token);
        bytes[bytes.Length / 2] ^= 0xFF;
        await File.WriteAllBytesAsync(newest, bytes, Token);

        var reopened = await OpenAsync(options);

        Assert.Equal(expected.Order(StringComparer.Ordinal), await IdsAsync(reopened));
    }

    [Fact]
    public async Task ManyBlocksAcrossSnapshotIntervals_KeepLogDiskAndRestartReplayBounded()
    {
        var options = NewOptions();
        options.LogPageSizeBytes = 64 * 1024;
        options.LogSegmentSizeBytes = 64 * 1024;
        options.SnapshotEveryBytes = 64 * 1024;
        options.SnapshotEveryCommands = 100;
        const int Blocks = 3000;
        const long Bound = 6 * 64 * 1024;

        var node = await OpenAsync(options);
        var expected = new List<string>(Blocks);
        long written = 0;
        long maxLog = 0;
        for (var i = 0; i < Blocks; i++)
        {
            var block = TestBlocks.Segment(i, TestBlocks.Now.AddSeconds(i), shard: (uint)(i % 4));
            written += block.CalculateSize();
            await node.AddBlockAsync(block, Token);
            expected.Add(block.Id);
            if (i % 100 == 99)
            {
                await node.WaitForSnapshotAsync();
                maxLog = Math.Max(maxLog, await node.GetLogSizeOnDiskAsync());
            }
        }

        await node.WaitForSnapshotAsync();
        var finalLog = await node.GetLogSizeOnDiskAsync();
        await node.DisposeAsync();

        var reopened = await OpenAsync(options);
        var replayed = reopened.LastRecovery.Commands;
        output.WriteLine($"{Blocks} blocks, {written} bytes of metadata logged; log on disk max {maxLog} B, final {finalLog} B; restart replayed {replayed} commands in {reopened.LastRecovery.ElapsedMs} ms");

        Assert.True(written > 10 * Bound, $"the test must log far more ({written}) than the bound ({Bound})");
        Assert.InRange(maxLog, 1, Bound);
        Assert.InRange(finalLog, 1, Bound);
        Assert.InRange(replayed, 0, 2 * options.SnapshotEveryCommands);
        Assert.InRange(Directory.GetFiles(SnapshotDirectory, "snapshot-*.bin").Length, 1, 2);
        Assert.Equal(expected.Order(StringComparer.Ordinal), await IdsAsync(reopened));
    }

    internal static Task<List<string>> IdsAsync(MetastoreNode node) =>
        node.ReadAsync(index => index.Blocks.Select(b => b.Id).Order(StringComparer.Ordinal).ToList(), TestContext.Current.CancellationToken);
}
