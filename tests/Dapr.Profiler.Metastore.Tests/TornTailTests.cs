namespace Dapr.Profiler.Metastore.Tests;

/// <summary>
/// Damage at the end of the log file (a crash in the middle of a write, a disk that lost the last sectors): every
/// block whose record lies wholly before the damage survives, recovery does not crash, and blocks written after the
/// recovery survive the next restart too.
/// </summary>
public sealed class TornTailTests(ITestOutputHelper output) : MetastoreTestBase
{
    private const int Blocks = 120;

    [Theory]
    [InlineData(1)]
    [InlineData(37)]
    [InlineData(700)]
    [InlineData(5000)]
    public async Task TruncatedLogFile_KeepsEveryBlockBeforeTheCut(int cutBytes)
    {
        var options = SmallPages();
        var records = await WriteBlocksAsync(options);
        var segment = Path.Combine(LogDirectory, "log.0");

        // 1. Cut the segment file: the cut lands inside or before the last committed records.
        var length = new FileInfo(segment).Length;
        var cutAt = Math.Min(records[^1].End, length) - cutBytes;
        using (var file = new FileStream(segment, FileMode.Open, FileAccess.Write))
        {
            file.SetLength(cutAt);
        }

        // 2. Recover: the blocks wholly before the cut are there, the rest may be lost, nothing else appears.
        await AssertRecoveredAsync(options, records, cutAt, expectLoss: cutBytes > 4);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(40)]
    public async Task CorruptedLastRecords_KeepEveryBlockBeforeTheDamage(int recordsFromEnd)
    {
        var options = SmallPages();
        var records = await WriteBlocksAsync(options);
        var segment = Path.Combine(LogDirectory, "log.0");

        // 1. Flip bytes in the middle of a record near the end (its checksum no longer matches).
        var victim = records[^recordsFromEnd];
        var damagedAt = (victim.Start + victim.End) / 2;
        using (var file = new FileStream(segment, FileMode.Open, FileAccess.ReadWrite))
        {
            var buffer = new byte[16];
            file.Position = damagedAt;
            file.ReadExactly(buffer);
            for (var i = 0; i < buffer.Length; i++)
            {
                buffer[i] ^= 0x5A;
            }

            file.Position = damagedAt;
            file.Write(buffer);
        }

        // 2. Recover: the blocks before the damaged record are there.
        await AssertRecoveredAsync(options, records, victim.Start, expectLoss: true);
    }

    [Fact]
    public async Task CommitMetadataAheadOfTheData_DoesNotCrash_AndLaterWritesSurvive()
    {
        var options = SmallPages();
        var records = await WriteBlocksAsync(options);

        // 1. Lose whole pages at the end of the segment: the commit still claims them.
        using (var file = new FileStream(Path.Combine(LogDirectory, "log.0"), FileMode.Open, FileAccess.Write))
        {
            file.SetLength(records[Blocks / 2].Start);
        }

        // 2. Recover and keep going.
        await AssertRecoveredAsync(options, records, records[Blocks / 2].Start, expectLoss: true);
    }

    private MetastoreOptions SmallPages()
    {
        var options = NewOptions();
        options.LogPageSizeBytes = 64 * 1024;
        return options;
    }

    /// <summary>Writes the blocks, one commit each, and returns each record's extent in the log, in log order.</summary>
    private async Task<List<LogExtent>> WriteBlocksAsync(MetastoreOptions options)
    {
        var node = await OpenAsync(options);
        for (var i = 0; i < Blocks; i++)
        {
            await node.AddBlockAsync(TestBlocks.Segment(i, TestBlocks.Now.AddSeconds(i)), Token);
        }

        await node.DisposeAsync();
        var extents = new List<LogExtent>();
        using var log = FasterCommandLog.Open(LogDirectory, options);
        foreach (var record in log.ReadCommitted(log.BeginAddress))
        {
            var command = CommandCodec.Decode(record.Payload.Span).Command;
            extents.Add(new LogExtent(command.AddBlock.Block.Id, record.Address, record.NextAddress));
        }

        Assert.Equal(Blocks, extents.Count);
        Assert.True(extents[^1].End < options.LogSegmentSizeBytes, "the test expects one segment file");
        return extents;
    }

    private async Task AssertRecoveredAsync(MetastoreOptions options, List<LogExtent> records, long damageAt, bool expectLoss)
    {
        var mustSurvive = records.Where(r => r.End <= damageAt).Select(r => r.BlockId).ToList();
        var written = records.Select(r => r.BlockId).ToHashSet(StringComparer.Ordinal);

        var node = await OpenAsync(options);
        var recovered = await DurabilityTests.IdsAsync(node);
        output.WriteLine($"damage at {damageAt}: {mustSurvive.Count} blocks wholly before it, {recovered.Count} of {written.Count} recovered");
        if (expectLoss)
        {
            Assert.True(recovered.Count < written.Count, "the damage must hit a committed record");
        }

        if (recovered.Count < written.Count)
        {
            Assert.True(node.LastRecovery.Damaged);
        }

        Assert.Subset(written, recovered.ToHashSet(StringComparer.Ordinal));
        Assert.Subset(recovered.ToHashSet(StringComparer.Ordinal), mustSurvive.ToHashSet(StringComparer.Ordinal));

        // 3. Write more after the recovery, restart twice: everything acknowledged since survives.
        var later = new List<string>();
        for (var i = 0; i < 10; i++)
        {
            var block = TestBlocks.Segment(1000 + i, TestBlocks.Now.AddHours(1).AddSeconds(i));
            await node.AddBlockAsync(block, Token);
            later.Add(block.Id);
        }

        await node.DisposeAsync();
        for (var restart = 0; restart < 2; restart++)
        {
            var again = await OpenAsync(options);
            Assert.False(again.LastRecovery.Damaged);
            Assert.Equal(recovered.Concat(later).Order(StringComparer.Ordinal), await DurabilityTests.IdsAsync(again));
            await again.DisposeAsync();
        }
    }

    private sealed record LogExtent(string BlockId, long Start, long End);
}
