using System.Text;
using Dapr.Profiler.Protos.Pprof;
using FsCheck;
using FsCheck.Fluent;
using Google.Protobuf;

namespace Dapr.Profiler.Model.Tests;

/// <summary>pprof encode/decode round trips over random profiles, in every framing the decoder accepts.</summary>
public sealed class PprofPropertyTests
{
    private static readonly Config Config = Config.QuickThrowOnFailure.WithMaxTest(300);

    [Fact]
    public void EncodeDecode_RoundTrips_RawGzipAndUnpacked()
    {
        Check.One(Config, Prop.ForAll(RandomProfiles().ToArbitrary(), profile =>
        {
            var raw = profile.ToByteArray();
            Assert.Equal(profile, PprofDecoder.Decode(raw));
            Assert.Equal(profile, PprofDecoder.Decode(PprofDecoderTests.GzipBytes(raw)));
            Assert.Equal(profile, PprofDecoder.Decode(UnpackedEncoding.Encode(profile)));
        }));
    }

    [Fact]
    public void SparseIds_DecodeToTheSameStacksAsDenseIds()
    {
        var gen = RandomProfiles().SelectMany(p => Gen.Choose(1, 1_000_000).Select(seed => (p, seed)));
        Check.One(Config, Prop.ForAll(gen.ToArbitrary(), input =>
        {
            var (dense, seed) = input;
            var sparse = Sparsify(dense, new Random(seed));

            var decoded = PprofDecoder.Decode(sparse.ToByteArray());

            Assert.Equal(ResolvedStacks(dense), ResolvedStacks(decoded));
            Assert.Equal(StackTree.FromProfile(dense, 0).Total, StackTree.FromProfile(decoded, 0).Total);
            Assert.True(StackTree.FromProfile(dense, 0).TreeEquals(StackTree.FromProfile(decoded, 0)));
        }));
    }

    [Fact]
    public void Crc32_MatchesTheStandardCheckValue()
    {
        Assert.Equal(0xCBF43926u, Crc32.Compute(Encoding.ASCII.GetBytes("123456789")));
        Assert.Equal(0u, Crc32.Compute([]));
    }

    /// <summary>Random valid profiles with dense ids, one or two sample types, inlined frames and mappings.</summary>
    internal static Gen<Profile> RandomProfiles() =>
        from functionCount in Gen.Choose(1, 12)
        from locationSpecs in Gen.Choose(1, functionCount).ArrayOf(3).NonEmptyListOf()
        from sampleSpecs in Gen.Choose(0, 1000).ArrayOf().NonEmptyListOf()
        from twoTypes in ArbMap.Default.GeneratorFor<bool>()
        from time in Gen.Choose(0, int.MaxValue)
        select Build(functionCount, [.. locationSpecs.Select(a => a.Take(1 + (a[0] % 3)).ToArray())], [.. sampleSpecs], twoTypes, time);

    private static Profile Build(int functionCount, int[][] locations, int[][] samples, bool twoTypes, int time)
    {
        var profile = new Profile { TimeNanos = time * 1_000_000_000L, Period = 10_000_000 };
        profile.StringTable.Add(["", "samples", "count", "cpu", "nanoseconds", "/bin/app", "build-1"]);
        profile.PeriodType = new Dapr.Profiler.Protos.Pprof.ValueType { Type = 3, Unit = 4 };
        profile.SampleType.Add(new Dapr.Profiler.Protos.Pprof.ValueType { Type = 1, Unit = 2 });
        if (twoTypes)
        {
            profile.SampleType.Add(new Dapr.Profiler.Protos.Pprof.ValueType { Type = 3, Unit = 4 });
        }

        profile.Mapping.Add(new Mapping { Id = 1, Filename = 5, BuildId = 6, MemoryStart = 0x400000, MemoryLimit = 0x800000 });
        for (var f = 1; f <= functionCount; f++)
        {
            profile.StringTable.Add($"pkg.fn{f}");
            profile.Function.Add(new Function { Id = (ulong)f, Name = profile.StringTable.Count - 1, StartLine = f });
        }

        for (var l = 0; l < locations.Length; l++)
        {
            var location = new Location { Id = (ulong)l + 1, MappingId = (ulong)(l % 2), Address = 0x400000 + ((ulong)l * 16) };
            foreach (var f in locations[l])
            {
                location.Line.Add(new Line { FunctionId = (ulong)f, Line_ = f * 10 });
            }

            profile.Location.Add(location);
        }

        foreach (var spec in samples)
        {
            var sample = new Sample();
            foreach (var x in spec.Take(8))
            {
                sample.LocationId.Add((ulong)(x % locations.Length) + 1);
            }

            sample.Value.Add(spec.Length == 0 ? 1 : spec[0] + 1);
            if (twoTypes)
            {
                sample.Value.Add((spec.Length == 0 ? 1 : spec[0] + 1) * 10_000_000L);
            }

            profile.Sample.Add(sample);
        }

        return profile;
    }

    /// <summary>The same profile with ids replaced by random distinct nonzero values and shuffled tables.</summary>
    private static Profile Sparsify(Profile dense, Random random)
    {
        var copy = dense.Clone();
        var mappingIds = RandomIds(copy.Mapping.Count, random);
        var functionIds = RandomIds(copy.Function.Count, random);
        var locationIds = RandomIds(copy.Location.Count, random);
        foreach (var m in copy.Mapping)
        {
            m.Id = mappingIds[(int)m.Id - 1];
        }

        foreach (var f in copy.Function)
        {
            f.Id = functionIds[(int)f.Id - 1];
        }

        foreach (var l in copy.Location)
        {
            l.Id = locationIds[(int)l.Id - 1];
            l.MappingId = l.MappingId == 0 ? 0 : mappingIds[(int)l.MappingId - 1];
            foreach (var line in l.Line)
            {
                line.FunctionId = functionIds[(int)line.FunctionId - 1];
            }
        }

        foreach (var s in copy.Sample)
        {
            for (var i = 0; i < s.LocationId.Count; i++)
            {
                s.LocationId[i] = locationIds[(int)s.LocationId[i] - 1];
            }
        }

        Shuffle(copy.Location, random);
        Shuffle(copy.Function, random);
        return copy;
    }

    private static ulong[] RandomIds(int count, Random random)
    {
        var set = new HashSet<ulong>();
        while (set.Count < count)
        {
            set.Add((ulong)random.NextInt64(1, long.MaxValue));
        }

        return [.. set];
    }

    private static void Shuffle<T>(Google.Protobuf.Collections.RepeatedField<T> items, Random random)
    {
        var array = items.ToArray();
        random.Shuffle(array);
        items.Clear();
        items.AddRange(array);
    }

    /// <summary>Each sample as its frames (function names, leaf first, inlined callees first) and values.</summary>
    private static List<string> ResolvedStacks(Profile p)
    {
        var locations = p.Location.ToDictionary(l => l.Id);
        var functions = p.Function.ToDictionary(f => f.Id);
        return p.Sample.Select(s =>
            string.Join(";", s.LocationId.SelectMany(id => locations[id].Line.Select(l => p.StringTable[(int)functions[l.FunctionId].Name])))
            + " " + string.Join(",", s.Value)).ToList();
    }
}
