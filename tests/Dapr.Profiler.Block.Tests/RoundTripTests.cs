using Dapr.Profiler.Model;

namespace Dapr.Profiler.Block.Tests;

public sealed class RoundTripTests
{
    private const long Second = 1_000_000_000L;
    private const long BaseTime = 1_700_000_000L * Second;

    [Fact]
    public void EveryCorpusSeries_ReadsBackAsTheSameFlameGraphAndPprof()
    {
        var corpus = TestData.LoadAll();
        var inputs = corpus.Count > 0
            ? corpus.Select((c, i) => (c.Profile, TestData.TypeName(c.File), Service: "svc-" + c.File)).ToList()
            : [.. Enumerable.Range(0, 5).Select(i => (ProfileSpec.Random(i).Build(), "process_cpu", Service: $"svc-{i}"))];
        var all = new List<ProfileSeries>();
        for (var i = 0; i < inputs.Count; i++)
        {
            all.AddRange(TestData.Series(inputs[i].Item1, inputs[i].Service, inputs[i].Item2, BaseTime + (i * Second)));
        }

        var (_, reader) = TestData.WriteAndOpen(all.Select(s => ("tenant-a", s)));

        foreach (var series in all)
        {
            var dataset = reader.Meta.Datasets.Single(d => reader.Meta.GetServiceName(d) == series.ServiceName);
            var data = reader.OpenDataset(dataset);
            var filter = (Func<LabelSet, bool>)(l => l.Equals(series.Labels));
            var expected = StackTree.FromProfile(series.Profile, series.ValueIndex);
            var actual = data.BuildTree(filter);

            Assert.True(expected.TreeEquals(actual), $"{series.Labels}: trees differ\nexpected:\n{expected}\nactual:\n{actual}");
            Assert.Equal(FlameGraphEncoder.Encode(expected), FlameGraphEncoder.Encode(actual));
            Assert.Equal(FlameGraphEncoder.Encode(expected, 16), FlameGraphEncoder.Encode(actual, 16));

            var pprof = data.BuildPprof(filter);
            Assert.Equal(TestData.Total(series.Profile, series.ValueIndex), TestData.Total(pprof, 0));
            Assert.True(expected.TreeEquals(StackTree.FromProfile(pprof, 0)), $"{series.Labels}: pprof tree differs");
            Assert.Equal(series.Profile.Period, pprof.Period);
            Assert.Equal(series.TimestampNanos, pprof.TimeNanos);

            var point = Assert.Single(data.SeriesTotals(filter));
            Assert.Equal(series.TimestampNanos, point.TimestampNanos);
            Assert.Equal(TestData.Total(series.Profile, series.ValueIndex), point.Total);
        }
    }

    [Fact]
    public void ManyProfilesOfOneService_MergeLikeTheInputs_PerProfileTypeAndTimeRange()
    {
        var profiles = TestData.Load("go-cpu*.pb.gz").Select(c => c.Profile).ToList();
        if (profiles.Count == 0)
        {
            profiles = [.. Enumerable.Range(0, 4).Select(i => ProfileSpec.Random(i).Build())];
        }

        var series = new List<ProfileSeries>();
        for (var i = 0; i < 12; i++)
        {
            series.AddRange(TestData.Series(profiles[i % profiles.Count], "checkout", "process_cpu", BaseTime + (i * 10 * Second)));
        }

        var (_, reader) = TestData.WriteAndOpen(series.Select(s => ("t", s)));
        var data = reader.OpenDataset(Assert.Single(reader.Meta.Datasets));
        Assert.Equal(series.Count, data.RowCount);

        foreach (var type in series.Select(s => s.Type.Id).Distinct())
        {
            // Rows 3..7 (times 30 s .. 70 s) only.
            var startMs = (BaseTime / 1_000_000) + 30_000;
            var endMs = (BaseTime / 1_000_000) + 70_000;
            var selected = series.Where(s => s.Type.Id == type && s.TimestampNanos / 1_000_000 >= startMs && s.TimestampNanos / 1_000_000 <= endMs).ToList();
            Assert.Equal(5, selected.Count);

            var expected = new StackTree();
            var merger = new PprofMerger();
            foreach (var s in selected)
            {
                expected.Merge(StackTree.FromProfile(s.Profile, s.ValueIndex));
                merger.Add(s.Profile, s.ValueIndex);
            }

            var actual = data.BuildTree(TestData.TypeIs(type), startMs, endMs);
            Assert.True(expected.TreeEquals(actual), $"{type}: merged trees differ");
            Assert.Equal(FlameGraphEncoder.Encode(expected), FlameGraphEncoder.Encode(actual));

            var merged = merger.Build();
            var pprof = data.BuildPprof(TestData.TypeIs(type), startMs, endMs);
            Assert.Equal(TestData.Total(merged, 0), TestData.Total(pprof, 0));
            Assert.True(StackTree.FromProfile(merged, 0).TreeEquals(StackTree.FromProfile(pprof, 0)));
            Assert.Equal(selected.Min(s => s.TimestampNanos), pprof.TimeNanos);

            var points = data.SeriesTotals(TestData.TypeIs(type), startMs, endMs).ToList();
            Assert.Equal(selected.Select(s => (s.TimestampNanos, TestData.Total(s.Profile, s.ValueIndex))), points.Select(p => (p.TimestampNanos, p.Total)));
        }
    }

    [Fact]
    public void Rows_AreSortedBySeriesThenTime_AndHonourTheTimeRange()
    {
        var profile = ProfileSpec.Random(7).Build();
        var series = new List<ProfileSeries>();
        foreach (var t in new[] { 5L, 1L, 3L, 2L, 4L })
        {
            series.AddRange(TestData.Series(profile, "svc", "process_cpu", t * Second));
        }

        var (_, reader) = TestData.WriteAndOpen(series.Select(s => ("t", s)));
        var data = reader.OpenDataset(Assert.Single(reader.Meta.Datasets));
        var rows = data.Rows().ToList();
        Assert.Equal(10, rows.Count);
        Assert.Equal(rows.OrderBy(r => r.SeriesIndex).ThenBy(r => r.TimestampNanos), rows);
        Assert.Equal(
            data.Series.Select(s => s.Labels).OrderBy(l => l, LabelSet.Ordering),
            data.Series.Select(s => s.Labels));

        var inRange = data.Rows(null, 2_000, 3_999).ToList();
        Assert.Equal(4, inRange.Count);
        Assert.All(inRange, r => Assert.InRange(r.TimestampNanos, 2 * Second, 3 * Second));
        Assert.Empty(data.Rows(null, 6_000, 7_000));
        Assert.Empty(data.Rows(null, 3_000, 2_000));

        var meta = reader.Meta;
        Assert.Equal(1_000, meta.MinTime);
        Assert.Equal(5_000, meta.MaxTime);
        Assert.Equal(10u, meta.Datasets[0].ProfileCount);
    }

    [Fact]
    public void BuildPprof_RejectsSeriesOfDifferentProfileTypes_AndIsEmptyWhenNothingMatches()
    {
        var series = TestData.Series(ProfileSpec.Random(1).Build(), "svc", "process_cpu", Second);
        var (_, reader) = TestData.WriteAndOpen(series.Select(s => ("t", s)));
        var data = reader.OpenDataset(Assert.Single(reader.Meta.Datasets));

        Assert.Throws<InvalidOperationException>(() => data.BuildPprof());
        var empty = data.BuildPprof(_ => false);
        Assert.Empty(empty.Sample);
        Assert.Equal([string.Empty], empty.StringTable);
        Assert.Equal(0, data.BuildTree(_ => false).Total);
    }

    [Fact]
    public void SharedProfileInstance_HasItsSymbolsStoredOnce()
    {
        var profile = ProfileSpec.Random(3).Build();
        var once = new BlockWriter();
        once.Add("t", TestData.Series(profile, "svc", "process_cpu", Second)[0]);
        var (oneSeries, _) = once.Build(Ulid.NewUlid().ToString(), 0, 0, "tests");

        var twice = new BlockWriter();
        foreach (var s in TestData.Series(profile, "svc", "process_cpu", Second))
        {
            twice.Add("t", s);
        }

        var (_, meta) = twice.Build(Ulid.NewUlid().ToString(), 0, 0, "tests");
        var symbols = BlockFormat.SymbolsSection;
        Assert.Equal(
            BlockReader.ReadMeta(oneSeries).Datasets[0].SectionSizes[symbols],
            meta.Datasets[0].SectionSizes[symbols]);
        Assert.Equal(2u, meta.Datasets[0].SeriesCount);
    }

    [Fact]
    public void GetFrames_MatchesTheTreePaths()
    {
        var profile = ProfileSpec.Random(11).Build();
        var (_, reader) = TestData.WriteAndOpen(TestData.Series(profile, "svc", "process_cpu", Second).Take(1).Select(s => ("t", s)));
        var data = reader.OpenDataset(Assert.Single(reader.Meta.Datasets));
        var tree = new StackTree();
        var frames = new List<string>();
        foreach (var row in data.Rows())
        {
            for (var i = 0; i < row.StackIds.Length; i++)
            {
                frames.Clear();
                data.GetFrames(row.StackIds.Span[i], frames);
                tree.Add(frames.ToArray(), row.Values.Span[i]);
            }
        }

        Assert.True(StackTree.FromProfile(profile, 0).TreeEquals(tree));
    }

    [Fact]
    public void EmptyWriter_WritesAValidEmptyBlock()
    {
        var (bytes, meta) = new BlockWriter().Build(Ulid.NewUlid().ToString(), 3, 0, "host");
        var read = BlockReader.ReadMeta(bytes);
        Assert.Empty(read.Datasets);
        Assert.Equal(meta.Id, read.Id);
        Assert.Equal(3u, read.Shard);
        Assert.Equal("host", read.GetCreatedBy());
        Assert.Equal((ulong)bytes.Length, read.Size);
    }
}
