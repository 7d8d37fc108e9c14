using Dapr.Profiler.Model;

namespace Dapr.Profiler.Block.Tests;

public sealed class CompactionTests
{
    private const long Second = 1_000_000_000L;

    private static List<ProfileSeries> CpuSeries(int count, long offset)
    {
        var corpus = TestData.Load("go-cpu*.pb.gz").Select(c => c.Profile).ToList();
        if (corpus.Count == 0)
        {
            corpus = [.. Enumerable.Range(0, 4).Select(i => ProfileSpec.Random(i).Build())];
        }

        var result = new List<ProfileSeries>();
        for (var i = 0; i < count; i++)
        {
            result.AddRange(TestData.Series(corpus[i % corpus.Count], "checkout", "process_cpu", offset + (i * Second)));
        }

        return result;
    }

    private static BlockReader Segment(IEnumerable<ProfileSeries> series, string tenant = "t") =>
        TestData.WriteAndOpen(series.Select(s => (tenant, s))).Reader;

    [Fact]
    public void TwoSegments_MergeIntoOneDataset_WithSymbolsStoredOnce()
    {
        var first = CpuSeries(4, 0);
        var second = CpuSeries(4, 100 * Second);
        var a = Segment(first);
        var b = Segment(second);

        var writer = new BlockWriter(new BlockWriterOptions { DropDuplicateRows = true });
        writer.AddDataset(a.OpenDataset(a.Meta.Datasets[0]));
        writer.AddDataset(b.OpenDataset(b.Meta.Datasets[0]));
        var (bytes, meta) = writer.Build(Ulid.NewUlid().ToString(), 0, 1, "compactor");

        var dataset = Assert.Single(meta.Datasets);
        Assert.Equal("t", meta.GetTenant());
        Assert.Equal((uint)(first.Count + second.Count), dataset.ProfileCount);
        Assert.Equal(0, dataset.MinTime);
        Assert.Equal(103_000, dataset.MaxTime);
        var symbols = BlockFormat.SymbolsSection;
        Assert.True(
            dataset.SectionSizes[symbols] < a.Meta.Datasets[0].SectionSizes[symbols] + b.Meta.Datasets[0].SectionSizes[symbols],
            "symbols shared by both segments must be stored once");

        var data = BlockReader.Open(bytes).OpenDataset(dataset);
        foreach (var type in first.Select(s => s.Type.Id).Distinct())
        {
            var expected = new StackTree();
            foreach (var s in first.Concat(second).Where(s => s.Type.Id == type))
            {
                expected.Merge(StackTree.FromProfile(s.Profile, s.ValueIndex));
            }

            Assert.True(expected.TreeEquals(data.BuildTree(TestData.TypeIs(type))));
        }
    }

    [Fact]
    public void DuplicateRows_AreDroppedOnlyWhenAsked()
    {
        var segment = Segment(CpuSeries(3, 0));
        var data = segment.OpenDataset(segment.Meta.Datasets[0]);

        var keep = new BlockWriter();
        keep.AddDataset(data);
        keep.AddDataset(data);
        Assert.Equal(12u, keep.Build("01ARYZ6S41TSV4RRFFQ69G5FAV", 0, 1, "c").Meta.Datasets[0].ProfileCount);

        var drop = new BlockWriter(new BlockWriterOptions { DropDuplicateRows = true });
        drop.AddDataset(data);
        drop.AddDataset(data);
        var (bytes, meta) = drop.Build("01ARYZ6S41TSV4RRFFQ69G5FAV", 0, 1, "c");
        Assert.Equal(6u, meta.Datasets[0].ProfileCount);
        var copy = BlockReader.Open(bytes).OpenDataset(meta.Datasets[0]);
        Assert.True(data.BuildTree().TreeEquals(copy.BuildTree()));
    }

    [Fact]
    public void AddDataset_CanSelectSeries_AndRenameTheTenant()
    {
        var series = CpuSeries(2, 0);
        var segment = Segment(series, "anonymous");
        var data = segment.OpenDataset(segment.Meta.Datasets[0]);
        var type = series[0].Type.Id;

        var writer = new BlockWriter();
        writer.AddDataset(data, "tenant-x", TestData.TypeIs(type));
        var (bytes, meta) = writer.Build(Ulid.NewUlid().ToString(), 0, 1, "c");

        Assert.Equal("tenant-x", meta.GetTenant(meta.Datasets[0]));
        var copy = BlockReader.Open(bytes).OpenDataset(meta.Datasets[0]);
        Assert.All(copy.Series, s => Assert.Equal(type, s.Type.Id));
        Assert.Equal(2, copy.RowCount);
        Assert.True(data.BuildTree(TestData.TypeIs(type)).TreeEquals(copy.BuildTree()));
    }

    [Fact]
    public void SameInputs_GiveTheSameBytes()
    {
        var segment = Segment(CpuSeries(4, 0));
        byte[] Compact()
        {
            var writer = new BlockWriter(new BlockWriterOptions { DropDuplicateRows = true });
            writer.AddDataset(segment.OpenDataset(segment.Meta.Datasets[0]));
            var id = Ulid.FromHash(DateTimeOffset.FromUnixTimeMilliseconds(segment.Meta.MinTime), System.Text.Encoding.UTF8.GetBytes(segment.Meta.Id));
            return writer.Build(id.ToString(), 0, 1, "c").Bytes;
        }

        Assert.Equal(Compact(), Compact());
    }
}
