using Dapr.Profiler.Model;

namespace Dapr.Profiler.Block.Tests;

/// <summary>A range reader over bytes that counts what it served.</summary>
internal sealed class CountingRangeReader(byte[] data) : IBlockRangeReader
{
    public List<(long Offset, int Length)> Reads { get; } = [];

    public long BytesServed => Reads.Sum(r => (long)r.Length);

    public ValueTask<ReadOnlyMemory<byte>> ReadRangeAsync(long offset, int length, CancellationToken cancellationToken)
    {
        Reads.Add((offset, length));
        var end = (int)Math.Min(data.Length, offset + length);
        return ValueTask.FromResult<ReadOnlyMemory<byte>>(data.AsMemory((int)offset, end - (int)offset));
    }
}

public sealed class RangeReadTests
{
    private const long Second = 1_000_000_000L;

    private static (byte[] Bytes, List<ProfileSeries> Series) BigSegment()
    {
        var series = new List<ProfileSeries>();
        for (var service = 0; service < 12; service++)
        {
            var profile = ProfileSpec.Random(service, functions: 300, locations: 600, samples: 800).Build();
            series.AddRange(TestData.Series(profile, $"service-{service:D2}", "process_cpu", (service + 1) * Second));
        }

        var writer = new BlockWriter();
        series.ForEach(s => writer.Add($"tenant-{s.ServiceName[^1] % 3}", s));
        return (writer.Build(Ulid.NewUlid().ToString(), 0, 0, "tests").Bytes, series);
    }

    [Fact]
    public async Task OneDataset_IsReadWithAFooterReadAndOneDatasetRead()
    {
        var (bytes, series) = BigSegment();
        Assert.True(bytes.Length > 64 * 1024, $"the test needs a block larger than the footer read; it is {bytes.Length} bytes");
        var ranges = new CountingRangeReader(bytes);
        var ct = TestContext.Current.CancellationToken;

        var reader = await BlockReader.OpenAsync(ranges, bytes.Length, cancellationToken: ct);
        Assert.False(reader.IsInMemory);
        var footer = Assert.Single(ranges.Reads);
        Assert.Equal((bytes.Length - (64 * 1024), 64 * 1024), footer);

        var dataset = reader.Meta.Datasets[5];
        var data = await reader.OpenDatasetAsync(dataset, ct);
        Assert.Equal(2, ranges.Reads.Count);
        Assert.Equal(((long)dataset.Offset, (int)dataset.Size), ranges.Reads[1]);
        Assert.True(ranges.BytesServed < bytes.Length, $"served {ranges.BytesServed} of {bytes.Length} bytes");

        var expected = series.Where(s => s.ServiceName == data.ServiceName).ToList();
        Assert.Equal(2, expected.Count);
        foreach (var s in expected)
        {
            Assert.True(StackTree.FromProfile(s.Profile, s.ValueIndex).TreeEquals(data.BuildTree(l => l.Equals(s.Labels))));
        }

        Assert.Throws<InvalidOperationException>(() => reader.OpenDataset(dataset));
    }

    [Fact]
    public async Task LargeFooter_TakesExactlyOneMoreRead()
    {
        var (bytes, _) = BigSegment();
        var ranges = new CountingRangeReader(bytes);
        var options = new BlockReaderOptions { FooterReadBytes = 64 };
        var ct = TestContext.Current.CancellationToken;

        var reader = await BlockReader.OpenAsync(ranges, bytes.Length, options, ct);

        Assert.Equal(2, ranges.Reads.Count);
        Assert.Equal(BlockReader.ReadMeta(bytes), reader.Meta);
        var metaLength = BitConverter.ToInt32(bytes, bytes.Length - 16);
        Assert.Equal((bytes.Length - 16L - metaLength, metaLength), ranges.Reads[1]);
    }

    [Fact]
    public async Task SmallObject_IsReadWhole_InOneRead()
    {
        var profile = ProfileSpec.Random(1, samples: 20).Build();
        var (bytes, _) = TestData.WriteAndOpen(TestData.Series(profile, "svc", "process_cpu", Second).Select(s => ("t", s)));
        var ranges = new CountingRangeReader(bytes);
        var ct = TestContext.Current.CancellationToken;

        var reader = await BlockReader.OpenAsync(ranges, bytes.Length, cancellationToken: ct);
        var data = await reader.OpenDatasetAsync(reader.Meta.Datasets[0], ct);

        Assert.True(reader.IsInMemory);
        Assert.Equal([(0L, bytes.Length)], ranges.Reads);
        Assert.Equal(2, data.RowCount);
    }

    [Fact]
    public async Task ShortRangeRead_IsAFormatError()
    {
        var (bytes, _) = BigSegment();
        var ct = TestContext.Current.CancellationToken;
        var truncated = new DelegateRangeReader((offset, length, _) =>
            ValueTask.FromResult<ReadOnlyMemory<byte>>(bytes.AsMemory((int)offset, Math.Max(0, length - 1))));

        await Assert.ThrowsAnyAsync<BlockFormatException>(async () => await BlockReader.OpenAsync(truncated, bytes.Length, cancellationToken: ct));
        await Assert.ThrowsAnyAsync<BlockFormatException>(async () => await BlockReader.OpenAsync(new CountingRangeReader(bytes), 10, cancellationToken: ct));

        // The footer read is whole, the dataset read comes back short.
        var calls = 0;
        var shortLater = new DelegateRangeReader((offset, length, _) =>
            ValueTask.FromResult<ReadOnlyMemory<byte>>(bytes.AsMemory((int)offset, ++calls == 1 ? length : length / 2)));
        var reader = await BlockReader.OpenAsync(shortLater, bytes.Length, cancellationToken: ct);
        await Assert.ThrowsAnyAsync<BlockFormatException>(async () => await reader.OpenDatasetAsync(reader.Meta.Datasets[0], ct));
        Assert.ThrowsAny<BlockFormatException>(() => reader.OpenDataset(reader.Meta.Datasets[0], bytes.AsMemory(0, 10)));
    }
}
