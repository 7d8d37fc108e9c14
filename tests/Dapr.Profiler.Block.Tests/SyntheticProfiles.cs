using Dapr.Profiler.Protos.Pprof;
using ValueType = Dapr.Profiler.Protos.Pprof.ValueType;

namespace Dapr.Profiler.Block.Tests;

/// <summary>The shape of a synthetic profile; <see cref="Build"/> turns it into a normalised pprof (dense ids).</summary>
/// <param name="FunctionNames">Names of the functions (may repeat or be empty).</param>
/// <param name="Locations">Per location: mapping (0 = none, else 1..MappingCount), address, function indexes callee first.</param>
/// <param name="Samples">Per sample: location indexes leaf first, and one value per sample type.</param>
/// <param name="SampleTypes">How many value columns.</param>
/// <param name="MappingCount">How many mappings.</param>
internal sealed record ProfileSpec(
    string[] FunctionNames,
    (int Mapping, ulong Address, int[] Functions)[] Locations,
    (int[] Stack, long[] Values)[] Samples,
    int SampleTypes,
    int MappingCount)
{
    public Profile Build()
    {
        var profile = new Profile();
        var strings = new Dictionary<string, long>(StringComparer.Ordinal) { [string.Empty] = 0 };
        profile.StringTable.Add(string.Empty);
        long Str(string value)
        {
            if (!strings.TryGetValue(value, out var index))
            {
                index = profile.StringTable.Count;
                strings.Add(value, index);
                profile.StringTable.Add(value);
            }

            return index;
        }

        for (var t = 0; t < SampleTypes; t++)
        {
            profile.SampleType.Add(new ValueType { Type = Str($"type{t}"), Unit = Str(t == 0 ? "count" : "nanoseconds") });
        }

        profile.PeriodType = new ValueType { Type = Str("cpu"), Unit = Str("nanoseconds") };
        profile.Period = 10_000_000;
        profile.DurationNanos = 10_000_000_000;
        for (var m = 0; m < MappingCount; m++)
        {
            profile.Mapping.Add(new Mapping
            {
                Id = (ulong)m + 1,
                MemoryStart = 0x400000UL * (ulong)(m + 1),
                MemoryLimit = 0x800000UL * (ulong)(m + 1),
                Filename = Str($"/bin/app{m}"),
                BuildId = Str($"build{m}"),
                HasFunctions = true,
            });
        }

        for (var f = 0; f < FunctionNames.Length; f++)
        {
            profile.Function.Add(new Function
            {
                Id = (ulong)f + 1,
                Name = Str(FunctionNames[f]),
                SystemName = Str(f % 3 == 0 ? string.Empty : FunctionNames[f] + "_sys"),
                Filename = Str($"file{f % 4}.go"),
                StartLine = f * 7,
            });
        }

        for (var l = 0; l < Locations.Length; l++)
        {
            var (mapping, address, functions) = Locations[l];
            var location = new Location { Id = (ulong)l + 1, MappingId = (ulong)mapping, Address = address };
            foreach (var f in functions)
            {
                location.Line.Add(new Line { FunctionId = (ulong)f + 1, Line_ = (f * 13) + l });
            }

            profile.Location.Add(location);
        }

        foreach (var (stack, values) in Samples)
        {
            var sample = new Sample();
            foreach (var l in stack)
            {
                sample.LocationId.Add((ulong)l + 1);
            }

            sample.Value.Add(values);
            profile.Sample.Add(sample);
        }

        return profile;
    }

    /// <summary>A random profile from a seed (for tests that need many distinct profiles quickly).</summary>
    public static ProfileSpec Random(int seed, int functions = 40, int locations = 80, int samples = 200, int sampleTypes = 2)
    {
        var rng = new Random(seed);
        var names = new string[functions];
        for (var f = 0; f < functions; f++)
        {
            names[f] = $"pkg{f % 5}.func{f}";
        }

        var locs = new (int, ulong, int[])[locations];
        for (var l = 0; l < locations; l++)
        {
            var lineCount = rng.Next(0, 4);
            var lines = new int[lineCount];
            for (var k = 0; k < lineCount; k++)
            {
                lines[k] = rng.Next(functions);
            }

            locs[l] = (rng.Next(0, 3), 0x401000UL + ((ulong)l * 0x40), lines);
        }

        var sampleList = new (int[], long[])[samples];
        for (var s = 0; s < samples; s++)
        {
            var depth = rng.Next(0, 12);
            var stack = new int[depth];
            for (var d = 0; d < depth; d++)
            {
                stack[d] = rng.Next(locations);
            }

            var values = new long[sampleTypes];
            for (var t = 0; t < sampleTypes; t++)
            {
                values[t] = rng.Next(0, 4) == 0 ? 0 : rng.Next(1, 1000) * (t == 0 ? 1L : 10_000_000L);
            }

            sampleList[s] = (stack, values);
        }

        return new ProfileSpec(names, locs, sampleList, sampleTypes, 2);
    }
}
