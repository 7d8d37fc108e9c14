using Dapr.Profiler.Model;
using FsCheck;
using FsCheck.Fluent;

namespace Dapr.Profiler.Block.Tests;

public sealed class PropertyTests
{
    private static readonly string[] NamePool = ["", "main", "main.work", "a;b", "other", "total", "функция", "😀", "pkg.(*T).M", "x"];

    private sealed record Input(ProfileSpec Spec, string Tenant, string Service, long Time)
    {
        public override string ToString() =>
            $"{Tenant}/{Service}@{Time}: functions [{string.Join(",", Spec.FunctionNames)}], " +
            $"locations [{string.Join(" ", Spec.Locations.Select(l => $"m{l.Mapping}:{l.Address}:({string.Join(",", l.Functions)})"))}], " +
            $"samples [{string.Join(" ", Spec.Samples.Select(s => $"({string.Join(",", s.Stack)})={string.Join("/", s.Values)}"))}]";
    }

    private static Gen<(int, ulong, int[])> LocationGen(int functions, int mappings) =>
        from mapping in Gen.Choose(0, mappings)
        from address in Gen.Choose(0, 40)
        from lineCount in Gen.Choose(0, 3)
        from lines in Gen.Choose(0, functions - 1).ArrayOf(lineCount)
        select (mapping, (ulong)address * 16, lines);

    private static Gen<(int[], long[])> SampleGen(int locations, int types) =>
        from depth in Gen.Choose(0, 8)
        from stack in Gen.Choose(0, locations - 1).ArrayOf(depth)
        from values in Gen.Frequency((1, Gen.Constant(0)), (4, Gen.Choose(1, 1000))).Select(v => (long)v).ArrayOf(types)
        select (stack, values);

    private static Gen<ProfileSpec> SpecGen() =>
        from types in Gen.Choose(1, 3)
        from functionCount in Gen.Choose(1, 10)
        from names in Gen.Elements(NamePool).ArrayOf(functionCount)
        from mappings in Gen.Choose(0, 2)
        from locationCount in Gen.Choose(1, 12)
        from locations in LocationGen(functionCount, mappings).ArrayOf(locationCount)
        from sampleCount in Gen.Choose(0, 30)
        from samples in SampleGen(locationCount, types).ArrayOf(sampleCount)
        select new ProfileSpec(names, locations, samples, types, mappings);

    private static Gen<Input[]> InputsGen() =>
        (from spec in SpecGen()
         from tenant in Gen.Elements("tenant-a", "tenant-b")
         from service in Gen.Elements("svc-1", "svc-2")
         from time in Gen.Choose(0, 1_000_000)
         select new Input(spec, tenant, service, time * 1_000_000L)).NonEmptyListOf().Select(l => l.Take(5).ToArray());

    [Fact]
    public void RandomProfiles_RoundTrip_ThroughABlock_AndThroughCompaction()
    {
        Prop.ForAll(InputsGen().ToArbitrary(), inputs =>
        {
            var all = new List<(string Tenant, ProfileSeries Series)>();
            foreach (var input in inputs)
            {
                var profile = input.Spec.Build();
                all.AddRange(TestData.Series(profile, input.Service, "process_cpu", input.Time).Select(s => (input.Tenant, s)));
            }

            var (_, reader) = TestData.WriteAndOpen(all);
            Check(all, reader);

            // Compaction: copy every dataset into a new block and check it again.
            var compacted = new BlockWriter(new BlockWriterOptions { DropDuplicateRows = false });
            foreach (var dataset in reader.Meta.Datasets)
            {
                compacted.AddDataset(reader.OpenDataset(dataset));
            }

            var (bytes, _) = compacted.Build(Ulid.NewUlid().ToString(), 1, 1, "tests");
            Check(all, BlockReader.Open(bytes));
        }).QuickCheckThrowOnFailure();
    }

    private static void Check(List<(string Tenant, ProfileSeries Series)> all, BlockReader reader)
    {
        foreach (var group in all.GroupBy(x => (x.Tenant, x.Series.ServiceName, x.Series.Type.Id)))
        {
            var expected = new StackTree();
            long total = 0;
            var positive = false;
            foreach (var (_, s) in group)
            {
                expected.Merge(StackTree.FromProfile(s.Profile, s.ValueIndex));
                total += TestData.Total(s.Profile, s.ValueIndex);
                positive |= TestData.Total(s.Profile, s.ValueIndex) > 0;
            }

            var meta = reader.Meta;
            var dataset = meta.Datasets.SingleOrDefault(d => meta.GetTenant(d) == group.Key.Tenant && meta.GetServiceName(d) == group.Key.ServiceName);
            if (dataset is null)
            {
                // Only profiles without any non-zero value: nothing to store.
                Assert.False(positive, $"dataset {group.Key} is missing");
                continue;
            }

            var data = reader.OpenDataset(dataset);
            var filter = TestData.TypeIs(group.Key.Id);
            var actual = data.BuildTree(filter);
            Assert.True(expected.TreeEquals(actual), $"{group.Key}\nexpected:\n{expected}\nactual:\n{actual}");
            Assert.Equal(FlameGraphEncoder.Encode(expected), FlameGraphEncoder.Encode(actual));
            var pprof = data.BuildPprof(filter);
            Assert.Equal(total, TestData.Total(pprof, 0));
            Assert.True(expected.TreeEquals(StackTree.FromProfile(pprof, 0)));
            Assert.Equal(total, data.SeriesTotals(filter).Sum(p => p.Total));
            Assert.Equal(group.Count(), data.Rows(filter).Count());
        }
    }
}
