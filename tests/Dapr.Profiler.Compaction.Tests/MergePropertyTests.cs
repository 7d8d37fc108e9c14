using Dapr.Profiler.Block;
using Dapr.Profiler.Model;
using Dapr.Profiler.Protos.Block;
using Dapr.Profiler.Protos.Pprof;
using Dapr.Profiler.TestKit;
using FsCheck;
using FsCheck.Fluent;
using Google.Protobuf;
using ValueType = Dapr.Profiler.Protos.Pprof.ValueType;

namespace Dapr.Profiler.Compaction.Tests;

/// <summary>
/// <see cref="BlockCompactor.Merge"/> over random source blocks of real and synthetic profiles, with at-least-once
/// duplicates (the same profile of a series at the same time, in several sources or twice in one) and different
/// profiles of a series sharing a time: every output answers what the distinct profiles answer.
/// </summary>
public sealed class MergePropertyTests
{
    private static readonly Config Config = Config.QuickThrowOnFailure.WithMaxTest(20);

    private static readonly DateTimeOffset Origin = new(2025, 2, 1, 8, 0, 0, TimeSpan.Zero);

    private static readonly string[] Tenants = ["tenant-a", "tenant-b", "tenant-c"];

    private static readonly string[] Services = ["checkout", "cart"];

    /// <summary>Real profiles of the corpus (decoded once), then synthetic ones; each event clones its template.</summary>
    private static readonly Lazy<IReadOnlyList<Template>> Pool = new(LoadPool);

    /// <summary>A profile to push: its <c>__name__</c> and the decoded pprof (never modified).</summary>
    private sealed record Template(string Source, string Name, Profile Profile);

    /// <summary>A push: the template profile of a tenant's service at a time (seconds and milliseconds after the origin).</summary>
    private sealed record Event(int Tenant, int Service, int Template, int Second, int Millisecond)
    {
        public long TimestampNanos => (Origin.ToUnixTimeMilliseconds() + (Second * 1000L) + Millisecond) * 1_000_000L;
    }

    /// <summary>Events and the source blocks each lands in (an index twice = twice in one block).</summary>
    private sealed record Scenario(Event[] Events, int[][] Placements, int BlockCount, uint Level, uint Shard, int CompressionLevel, int Seed)
    {
        public override string ToString() =>
            $"level {Level}, shard {Shard}, {BlockCount} blocks, brotli {CompressionLevel}, seed {Seed}\n  " +
            string.Join("\n  ", Events.Select((e, i) =>
                $"{Tenants[e.Tenant]}/{Services[e.Service]} {Pool.Value[e.Template].Source} @{e.Second}s+{e.Millisecond}ms -> blocks [{string.Join(",", Placements[i])}]"));
    }

    [Fact]
    public void Merged_blocks_answer_like_the_distinct_source_profiles_and_are_deterministic()
    {
        Check.One(Config, Prop.ForAll(ScenarioGen().ToArbitrary(), scenario => { Run(scenario); }));
    }

    [Fact]
    public void Duplicates_are_dropped_once_while_different_profiles_at_the_same_time_are_both_kept()
    {
        var cpu1 = TemplateIndex("go-cpu.pb.gz");
        var cpu2 = TemplateIndex("go-cpu-2.pb.gz");
        var heap = TemplateIndex("go-heap.pb.gz");
        var duplicate = new Event(0, 0, cpu1, 1, 0);
        var scenario = new Scenario(
            [duplicate, new Event(0, 0, cpu2, 1, 0), new Event(1, 0, heap, 1, 0), new Event(1, 1, cpu1, 1, 0)],
            [[0, 1, 1], [1], [0], [0, 1]],
            BlockCount: 2,
            Level: 0,
            Shard: 2,
            CompressionLevel: 4,
            Seed: 1);

        var (sources, outputs) = Run(scenario);

        // The sources hold the duplicated push three times; the output once, next to the other profile of that time.
        var cpuTypes = Series(duplicate).Select(s => s.Type.Id).ToList();
        Assert.NotEmpty(cpuTypes);
        foreach (var type in cpuTypes)
        {
            var sourceRows = sources.Sum(s => RowsOf(s.Bytes, Tenants[0], Services[0], type).Count);
            var outputRows = RowsOf(outputs.Single(o => o.Meta.GetTenant() == Tenants[0]).Bytes, Tenants[0], Services[0], type);
            Assert.Equal(4, sourceRows);
            Assert.Equal(2, outputRows.Count);
            Assert.Single(outputRows.Select(r => r.TimestampNanos).Distinct());
        }
    }

    [Fact]
    public void Level_0_segments_split_into_one_block_per_tenant_holding_only_its_own_data()
    {
        var cpu = TemplateIndex("go-cpu-3.pb.gz");
        var scenario = new Scenario(
            [new Event(0, 0, cpu, 0, 0), new Event(1, 0, cpu, 0, 0), new Event(2, 1, cpu, 2, 5)],
            [[0], [0, 1], [1]],
            BlockCount: 2,
            Level: 0,
            Shard: 1,
            CompressionLevel: 1,
            Seed: 2);

        var (_, outputs) = Run(scenario);

        Assert.Equal(Tenants, outputs.Select(o => o.Meta.GetTenant()).Order(StringComparer.Ordinal));
        foreach (var output in outputs)
        {
            var tenant = output.Meta.GetTenant();
            Assert.StartsWith($"blocks/1/{tenant}/", output.Key, StringComparison.Ordinal);
            var meta = BlockReader.Open(output.Bytes).Meta;
            Assert.All(meta.Datasets, d => Assert.Equal(tenant, meta.GetTenant(d)));
            Assert.DoesNotContain(meta.StringTable, s => s != tenant && Tenants.Contains(s));
        }
    }

    private static (List<(BlockMeta Meta, byte[] Bytes)> Sources, List<CompactedBlock> Outputs) Run(Scenario scenario)
    {
        var series = new Dictionary<Event, IReadOnlyList<ProfileSeries>>();
        foreach (var e in scenario.Events.Distinct())
        {
            series[e] = Series(e);
        }

        // What each source block holds; blocks with nothing are not written.
        var contents = Enumerable.Range(0, scenario.BlockCount).Select(_ => new List<(string Tenant, ProfileSeries Series)>()).ToArray();
        for (var i = 0; i < scenario.Events.Length; i++)
        {
            var e = scenario.Events[i];
            foreach (var block in scenario.Placements[i])
            {
                contents[block].AddRange(series[e].Select(s => (Tenants[e.Tenant], s)));
            }
        }

        var random = new Random(scenario.Seed);
        var sources = contents
            .Where(c => c.Count > 0)
            .Select((c, b) => Write(c, Origin.AddSeconds(random.Next(0, 3 * (b + 1))), random, scenario, $"writer-{b}"))
            .ToList();

        var outputs = BlockCompactor.Merge(AsInput(sources), scenario.Shard, scenario.Level, scenario.CompressionLevel);

        // A retried job, given its sources in another order, writes the same objects.
        var shuffled = sources.ToArray();
        random.Shuffle(shuffled);
        var again = BlockCompactor.Merge(AsInput(shuffled), scenario.Shard, scenario.Level, scenario.CompressionLevel);
        Assert.Equal(outputs.Count, again.Count);
        for (var i = 0; i < outputs.Count; i++)
        {
            Assert.Equal(outputs[i].Key, again[i].Key);
            Assert.Equal(outputs[i].Meta, again[i].Meta);
            Assert.True(outputs[i].Bytes.AsSpan().SequenceEqual(again[i].Bytes), $"output {outputs[i].Key} differs between two runs");
        }

        // Every source delivered once more, later, as another block: its rows are exact duplicates and its symbols are
        // known by then, so the datasets come out byte for byte the same (only the output ids change).
        var redelivered = sources
            .Concat(contents.Where(c => c.Count > 0).Select((c, b) => Write(c, Origin.AddSeconds(random.Next(60, 120)), random, scenario, $"again-{b}")))
            .ToArray();
        random.Shuffle(redelivered);
        var withCopies = BlockCompactor.Merge(AsInput(redelivered), scenario.Shard, scenario.Level, scenario.CompressionLevel);
        Assert.Equal(outputs.Select(o => o.Meta.GetTenant()), withCopies.Select(o => o.Meta.GetTenant()));
        for (var i = 0; i < outputs.Count; i++)
        {
            Assert.Equal(outputs[i].Meta.Datasets, withCopies[i].Meta.Datasets);
            Assert.Equal((outputs[i].Meta.MinTime, outputs[i].Meta.MaxTime), (withCopies[i].Meta.MinTime, withCopies[i].Meta.MaxTime));
        }

        var distinct = series.SelectMany(p => p.Value.Select(s => (Tenant: Tenants[p.Key.Tenant], Series: s))).ToList();
        var metas = sources.Select(s => s.Meta).ToList();
        var oldest = metas.Min(m => m.GetUlid());
        Assert.Equal(distinct.Select(d => d.Tenant).Distinct().Order(StringComparer.Ordinal), outputs.Select(o => o.Meta.GetTenant()));
        foreach (var output in outputs)
        {
            var tenant = output.Meta.GetTenant();
            CheckOutput(output, tenant, [.. distinct.Where(d => d.Tenant == tenant).Select(d => d.Series)], scenario);
            Assert.Equal(CompactionJobs.OutputId(metas, tenant, scenario.Level + 1), output.Meta.Id);
            Assert.Equal(oldest.Time, output.Meta.GetUlid().Time);
        }

        return (sources, outputs);
    }

    private static void CheckOutput(CompactedBlock output, string tenant, List<ProfileSeries> expected, Scenario scenario)
    {
        var reader = BlockReader.Open(output.Bytes);
        var meta = reader.Meta;
        Assert.Equal(output.Meta, meta);
        Assert.Equal((ulong)output.Bytes.Length, meta.Size);
        Assert.Equal(BlockObjectKeys.Of(meta), output.Key);
        Assert.Equal((scenario.Level + 1, scenario.Shard, tenant), (meta.CompactionLevel, meta.Shard, meta.GetTenant()));
        Assert.Equal(CompactionJobs.CreatedBy, meta.GetCreatedBy());
        Assert.Equal(expected.Min(s => s.TimestampNanos) / 1_000_000, meta.MinTime);
        Assert.Equal(expected.Max(s => s.TimestampNanos) / 1_000_000, meta.MaxTime);
        Assert.Equal(
            expected.Select(s => s.ServiceName).Distinct().Order(StringComparer.Ordinal),
            meta.Datasets.Select(meta.GetServiceName).Order(StringComparer.Ordinal));

        foreach (var dataset in meta.Datasets)
        {
            Assert.Equal(tenant, meta.GetTenant(dataset));
            var data = reader.OpenDataset(dataset);
            var service = meta.GetServiceName(dataset);
            var ofService = expected.Where(s => s.ServiceName == service).ToList();
            Assert.Equal(
                ofService.Select(s => s.Type.Id).Distinct().Order(StringComparer.Ordinal),
                data.Series.Select(s => s.Type.Id).Distinct().Order(StringComparer.Ordinal));
            var labels = data.Series.ToDictionary(s => s.Index, s => s.Labels);

            // Rows in (series, timestamp) order, series in label order.
            var rows = data.Rows().Select(r => (r.SeriesIndex, r.TimestampNanos)).ToList();
            Assert.Equal(rows.Order(), rows);
            for (var i = 1; i < data.Series.Count; i++)
            {
                Assert.True(LabelSet.Compare(data.Series[i - 1].Labels, data.Series[i].Labels) <= 0, $"series {i} of {tenant}/{service} is out of order");
            }

            foreach (var type in ofService.GroupBy(s => s.Type.Id))
            {
                bool Filter(LabelSet l) => l.Get(LabelNames.ProfileType) == type.Key;
                var context = $"{tenant}/{service}/{type.Key}";

                var tree = new StackTree();
                var merger = new PprofMerger();
                foreach (var s in type)
                {
                    var profile = Selected(s);
                    tree.Merge(StackTree.FromProfile(profile, s.ValueIndex));
                    merger.Add(profile, s.ValueIndex);
                }

                var actualTree = data.BuildTree(Filter);
                Assert.True(tree.TreeEquals(actualTree), $"{context}: flame graph trees differ\nexpected:\n{tree}\nactual:\n{actualTree}");
                Assert.Equal(FlameGraphEncoder.Encode(tree, 0), FlameGraphEncoder.Encode(actualTree, 0));

                Assert.Equal(
                    type.Select(s => (s.Labels.ToString(), s.TimestampNanos, Total(s))).Order(),
                    data.SeriesTotals(Filter).Select(p => (labels[p.SeriesIndex].ToString(), p.TimestampNanos, p.Total)).Order());
                Assert.Equal(type.Count(), data.Rows(Filter).Count());

                var queried = new PprofMerger();
                queried.Add(data.BuildPprof(Filter), 0);
                Assert.True(
                    merger.Build().ToByteArray().AsSpan().SequenceEqual(queried.Build().ToByteArray()),
                    $"{context}: canonical pprof differs");
            }
        }
    }

    /// <summary>Writes one source block, as the segment writer (level 0) or an earlier compaction (level ≥ 1) would.</summary>
    private static (BlockMeta Meta, byte[] Bytes) Write(List<(string Tenant, ProfileSeries Series)> content, DateTimeOffset created, Random random, Scenario scenario, string createdBy)
    {
        var writer = new BlockWriter(new BlockWriterOptions { DropDuplicateRows = scenario.Level > 0 });
        foreach (var (tenant, s) in content)
        {
            writer.Add(tenant, s);
        }

        var randomness = new byte[10];
        random.NextBytes(randomness);
        var id = new Ulid(created.ToUnixTimeMilliseconds(), randomness).ToString();
        var (bytes, meta) = writer.Build(id, scenario.Shard, (int)scenario.Level, createdBy);
        return (meta, bytes);
    }

    private static List<(BlockMeta Meta, ReadOnlyMemory<byte> Bytes)> AsInput(IEnumerable<(BlockMeta Meta, byte[] Bytes)> sources) =>
        [.. sources.Select(s => (s.Meta, new ReadOnlyMemory<byte>(s.Bytes)))];

    private static List<ProfileRow> RowsOf(byte[] bytes, string tenant, string service, string type)
    {
        var reader = BlockReader.Open(bytes);
        return [.. reader.Meta.FindDatasets(tenant, service).SelectMany(d => reader.OpenDataset(d).Rows(l => l.Get(LabelNames.ProfileType) == type))];
    }

    /// <summary>The series of one push, normalised as the distributor does (the template is cloned first).</summary>
    private static IReadOnlyList<ProfileSeries> Series(Event e)
    {
        var template = Pool.Value[e.Template];
        var profile = template.Profile.Clone();
        profile.TimeNanos = e.TimestampNanos;
        var labels = new List<LabelPair> { new(LabelNames.MetricName, template.Name), new(LabelNames.ServiceName, Services[e.Service]) };
        var now = DateTimeOffset.UnixEpoch.AddTicks(e.TimestampNanos / 100);
        return SeriesNormalizer.Default.Normalize(profile, labels, 0, now);
    }

    /// <summary>The profile of a series alone: its samples when a sample label split the profile.</summary>
    private static Profile Selected(ProfileSeries series)
    {
        if (series.SampleIndexes is null)
        {
            return series.Profile;
        }

        var profile = series.Profile.Clone();
        profile.Sample.Clear();
        profile.Sample.AddRange(series.SampleIndexes.Select(i => series.Profile.Sample[i]));
        return profile;
    }

    private static long Total(ProfileSeries series) =>
        Enumerable.Range(0, series.SampleCount).Sum(i => series.Profile.Sample[series.SampleAt(i)].Value[series.ValueIndex]);

    private static int TemplateIndex(string source)
    {
        var pool = Pool.Value;
        for (var i = 0; i < pool.Count; i++)
        {
            if (pool[i].Source == source)
            {
                return i;
            }
        }

        throw new InvalidOperationException($"{source} is not in the corpus");
    }

    private static Gen<Scenario> ScenarioGen()
    {
        var templates = Pool.Value.Count;
        var eventGen =
            from tenant in Gen.Choose(0, Tenants.Length - 1)
            from service in Gen.Choose(0, Services.Length - 1)
            from template in Gen.Choose(0, templates - 1)
            from second in Gen.Choose(0, 3)
            from millisecond in Gen.Frequency((3, Gen.Constant(0)), (1, Gen.Choose(0, 999)))
            select new Event(tenant, service, template, second, millisecond);
        return
            from level in Gen.Frequency((3, Gen.Constant(0u)), (1, Gen.Constant(1u)), (1, Gen.Constant(2u)))
            from shard in Gen.Choose(1, 4)
            from blockCount in Gen.Choose(1, 4)
            from count in Gen.Choose(1, 10)
            from events in eventGen.ArrayOf(count)
            from placements in Gen.Choose(1, 3).SelectMany(n => Gen.Choose(0, blockCount - 1).ArrayOf(n)).ArrayOf(count)
            from compression in Gen.Elements(1, 5)
            from seed in Gen.Choose(0, int.MaxValue)
            select new Scenario(
                level == 0 ? events : [.. events.Select(e => e with { Tenant = events[0].Tenant })],
                placements,
                blockCount,
                level,
                (uint)shard,
                compression,
                seed);
    }

    private static List<Template> LoadPool()
    {
        var pool = new List<Template>();
        foreach (var file in Corpus.PprofFiles())
        {
            pool.Add(new Template(file, MetricName(file), PprofDecoder.Decode(Corpus.ReadProfile(file))));
        }

        for (var seed = 0; seed < 4; seed++)
        {
            pool.Add(new Template($"synthetic-{seed}", "synthetic_cpu", Synthetic(seed)));
        }

        return pool;
    }

    private static string MetricName(string file) => file switch
    {
        _ when file.StartsWith("go-cpu", StringComparison.Ordinal) => "process_cpu",
        _ when file.StartsWith("go-heap", StringComparison.Ordinal) || file.StartsWith("go-allocs", StringComparison.Ordinal) => "memory",
        _ when file.StartsWith("go-mutex", StringComparison.Ordinal) => "mutex",
        _ when file.StartsWith("go-goroutine", StringComparison.Ordinal) => "goroutines",
        _ when file.StartsWith("node-wall", StringComparison.Ordinal) => "wall",
        _ when file.StartsWith("node-heap", StringComparison.Ordinal) => "memory",
        _ => "unknown",
    };

    /// <summary>
    /// A random CPU-like profile (dense ids, two sample types, inline frames, two mappings). Odd seeds put a string
    /// label on some samples, so the profile splits into several series.
    /// </summary>
    private static Profile Synthetic(int seed)
    {
        var random = new Random(seed);
        var profile = new Profile { Period = 10_000_000, DurationNanos = 10_000_000_000 };
        profile.StringTable.Add(["", "samples", "count", "cpu", "nanoseconds", "/bin/app", "/lib/libc.so", "build-1", "build-2", "span", "a", "b"]);
        profile.SampleType.Add(new ValueType { Type = 1, Unit = 2 });
        profile.SampleType.Add(new ValueType { Type = 3, Unit = 4 });
        profile.PeriodType = new ValueType { Type = 3, Unit = 4 };
        profile.Mapping.Add(new Mapping { Id = 1, MemoryStart = 0x400000, MemoryLimit = 0x800000, Filename = 5, BuildId = 7, HasFunctions = true });
        profile.Mapping.Add(new Mapping { Id = 2, MemoryStart = 0x7f0000000000, MemoryLimit = 0x7f0000100000, Filename = 6, BuildId = 8 });
        const int functions = 12;
        for (var f = 1; f <= functions; f++)
        {
            profile.StringTable.Add($"pkg{f % 3}.func{f}");
            profile.Function.Add(new Function { Id = (ulong)f, Name = profile.StringTable.Count - 1, StartLine = f * 10 });
        }

        const int locations = 20;
        for (var l = 1; l <= locations; l++)
        {
            var location = new Location { Id = (ulong)l, MappingId = (ulong)(1 + (l % 2)), Address = 0x401000UL + ((ulong)l * 0x40) };
            for (var k = 0; k < 1 + (l % 3); k++)
            {
                location.Line.Add(new Line { FunctionId = (ulong)random.Next(1, functions + 1), Line_ = random.Next(1, 500) });
            }

            profile.Location.Add(location);
        }

        for (var s = 0; s < 40; s++)
        {
            var sample = new Sample();
            var depth = random.Next(1, 8);
            for (var d = 0; d < depth; d++)
            {
                sample.LocationId.Add((ulong)random.Next(1, locations + 1));
            }

            var count = random.Next(1, 50);
            sample.Value.Add([count, count * 10_000_000L]);
            if (seed % 2 == 1 && random.Next(3) == 0)
            {
                sample.Label.Add(new Label { Key = 9, Str = random.Next(2) == 0 ? 10 : 11 });
            }

            profile.Sample.Add(sample);
        }

        return profile;
    }
}
