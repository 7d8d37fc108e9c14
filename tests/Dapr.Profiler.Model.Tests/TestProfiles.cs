using Dapr.Profiler.Protos.Pprof;
using FsCheck;
using FsCheck.Fluent;
using Google.Protobuf;
using ValueType = Dapr.Profiler.Protos.Pprof.ValueType;

namespace Dapr.Profiler.Model.Tests;

/// <summary>Builds pprof profiles for tests with dense ids, as <see cref="PprofDecoder"/> would produce them.</summary>
internal sealed class ProfileBuilder
{
    private readonly Dictionary<string, long> _strings = new(StringComparer.Ordinal) { [string.Empty] = 0 };
    private readonly Dictionary<string, ulong> _functionsByName = new(StringComparer.Ordinal);

    public ProfileBuilder(params (string Type, string Unit)[] sampleTypes)
    {
        Profile.StringTable.Add(string.Empty);
        foreach (var (type, unit) in sampleTypes)
        {
            Profile.SampleType.Add(new ValueType { Type = Str(type), Unit = Str(unit) });
        }
    }

    public Profile Profile { get; } = new();

    public long Str(string value)
    {
        if (!_strings.TryGetValue(value, out var id))
        {
            id = Profile.StringTable.Count;
            _strings[value] = id;
            Profile.StringTable.Add(value);
        }

        return id;
    }

    public ulong Function(string name, string systemName = "", string filename = "", long startLine = 0)
    {
        var id = (ulong)Profile.Function.Count + 1;
        Profile.Function.Add(new Function { Id = id, Name = Str(name), SystemName = Str(systemName), Filename = Str(filename), StartLine = startLine });
        return id;
    }

    /// <summary>The function with this name, created on first use.</summary>
    public ulong FunctionNamed(string name)
    {
        if (!_functionsByName.TryGetValue(name, out var id))
        {
            id = Function(name, filename: name + ".go");
            _functionsByName[name] = id;
        }

        return id;
    }

    public ulong Mapping(string filename, string buildId = "", ulong start = 0x1000, ulong limit = 0x9000, ulong offset = 0)
    {
        var id = (ulong)Profile.Mapping.Count + 1;
        Profile.Mapping.Add(new Mapping
        {
            Id = id, Filename = Str(filename), BuildId = Str(buildId), MemoryStart = start, MemoryLimit = limit, FileOffset = offset, HasFunctions = true,
        });
        return id;
    }

    /// <summary>A location whose lines are given callee first (the last one is the outermost caller).</summary>
    public ulong Location(ulong mappingId, ulong address, params ulong[] functionIdsCalleeFirst)
    {
        var id = (ulong)Profile.Location.Count + 1;
        var location = new Location { Id = id, MappingId = mappingId, Address = address };
        foreach (var function in functionIdsCalleeFirst)
        {
            location.Line.Add(new Line { FunctionId = function, Line_ = (long)function * 10 });
        }

        Profile.Location.Add(location);
        return id;
    }

    /// <summary>A sample; locations are given leaf first, as in pprof.</summary>
    public ProfileBuilder Sample(ulong[] locationIdsLeafFirst, params long[] values)
    {
        Profile.Sample.Add(new Sample { LocationId = { locationIdsLeafFirst }, Value = { values } });
        return this;
    }

    /// <summary>A sample for a root-first stack like <c>"main;foo"</c>: one new location per frame, one function per name.</summary>
    public ProfileBuilder Stack(string rootFirst, params long[] values)
    {
        var frames = rootFirst.Split(';');
        var locations = new ulong[frames.Length];
        for (var i = 0; i < frames.Length; i++)
        {
            locations[frames.Length - 1 - i] = Location(0, 0x1000 + (ulong)Profile.Location.Count, FunctionNamed(frames[i]));
        }

        return Sample(locations, values);
    }

    /// <summary>The profile after a trip through the real decoder, so it satisfies the decoder's contract.</summary>
    public Profile Decoded() => PprofDecoder.Decode(Profile.ToByteArray());
}

internal static class TestTrees
{
    /// <summary>A tree from <c>("a;b;c", value)</c> pairs, root first.</summary>
    public static StackTree Of(params (string Stack, long Value)[] stacks)
    {
        var tree = new StackTree();
        foreach (var (stack, value) in stacks)
        {
            tree.Add(stack.Split(';'), value);
        }

        return tree;
    }

    public static StackTree Of(IEnumerable<(string[] Frames, long Value)> stacks)
    {
        var tree = new StackTree();
        foreach (var (frames, value) in stacks)
        {
            tree.Add(frames, value);
        }

        return tree;
    }

    public static long[][] Levels(Dapr.Profiler.Protos.Querier.FlameGraph fg) => fg.Levels.Select(l => l.Values.ToArray()).ToArray();

    public static long[][] Levels(Dapr.Profiler.Protos.Querier.FlameGraphDiff fg) => fg.Levels.Select(l => l.Values.ToArray()).ToArray();
}

/// <summary>FsCheck generators of stacks over a small alphabet, so that random stacks share prefixes.</summary>
internal static class StackGen
{
    /// <summary>Includes names that sort differently in UTF-16 and UTF-8 and the special name "total"; no "other" and no "".</summary>
    public static readonly string[] Names = ["main", "a", "b", "c", "d", "ä", "\uE000x", "\U0001F600", "total"];

    public static readonly string[] NamesWithOther = [.. Names, "other"];

    public static Gen<(string[] Frames, long Value)[]> Stacks(string[] names, int minValue = 1) =>
        Gen.Choose(1, 6).SelectMany(depth => Gen.ArrayOf(Gen.Elements(names), depth))
            .Zip(Gen.Choose(minValue, 1000).Select(v => (long)v), (frames, value) => (frames, value))
            .ArrayOf();

    public static Gen<StackTree> Tree(string[] names) => Stacks(names).Select(s => TestTrees.Of(s));
}
