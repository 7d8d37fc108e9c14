using Dapr.Profiler.Protos.Pprof;

namespace Dapr.Profiler.Model;

/// <summary>
/// Rewrites a normalised profile (dense ids) into one canonical layout: strings, mappings, functions, locations and
/// samples sorted by content and renumbered. Two profiles with the same content then have the same bytes, whatever
/// order their parts were merged in — so the same query always answers the same pprof.
/// </summary>
public static class ProfileCanonicalizer
{
    public static void Canonicalize(Profile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var oldStrings = profile.StringTable.ToArray();
        var sorted = oldStrings.Skip(1).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        sorted.Insert(0, string.Empty);
        var newIndex = sorted.Select((s, i) => (s, i)).ToDictionary(p => p.s, p => (long)p.i, StringComparer.Ordinal);
        long S(long old) => newIndex[oldStrings[old]];

        var mappings = profile.Mapping.ToArray();
        foreach (var m in mappings)
        {
            m.Filename = S(m.Filename);
            m.BuildId = S(m.BuildId);
        }

        var mappingOrder = Renumber(mappings, m => m.Id, (m, id) => m.Id = id, CompareMappings, sorted);
        var functions = profile.Function.ToArray();
        foreach (var f in functions)
        {
            f.Name = S(f.Name);
            f.SystemName = S(f.SystemName);
            f.Filename = S(f.Filename);
        }

        var functionOrder = Renumber(functions, f => f.Id, (f, id) => f.Id = id, CompareFunctions, sorted);
        var locations = profile.Location.ToArray();
        foreach (var l in locations)
        {
            l.MappingId = l.MappingId == 0 ? 0 : mappingOrder[l.MappingId];
            foreach (var line in l.Line)
            {
                line.FunctionId = functionOrder[line.FunctionId];
            }
        }

        var locationOrder = Renumber(locations, l => l.Id, (l, id) => l.Id = id, CompareLocations, sorted);
        var samples = profile.Sample.ToArray();
        foreach (var sample in samples)
        {
            for (var i = 0; i < sample.LocationId.Count; i++)
            {
                sample.LocationId[i] = locationOrder[sample.LocationId[i]];
            }

            foreach (var label in sample.Label)
            {
                label.Key = S(label.Key);
                label.Str = S(label.Str);
                label.NumUnit = S(label.NumUnit);
            }
        }

        Array.Sort(samples, CompareSamples);
        foreach (var type in profile.SampleType)
        {
            type.Type = S(type.Type);
            type.Unit = S(type.Unit);
        }

        if (profile.PeriodType is { } periodType)
        {
            periodType.Type = S(periodType.Type);
            periodType.Unit = S(periodType.Unit);
        }

        for (var i = 0; i < profile.Comment.Count; i++)
        {
            profile.Comment[i] = S(profile.Comment[i]);
        }

        profile.DropFrames = S(profile.DropFrames);
        profile.KeepFrames = S(profile.KeepFrames);
        profile.DefaultSampleType = S(profile.DefaultSampleType);
        profile.DocUrl = S(profile.DocUrl);
        Replace(profile.StringTable, sorted);
        Replace(profile.Mapping, mappings);
        Replace(profile.Function, functions);
        Replace(profile.Location, locations);
        Replace(profile.Sample, samples);
    }

    /// <summary>Sorts the items and gives them ids 1..n; returns old id → new id.</summary>
    private static Dictionary<ulong, ulong> Renumber<T>(T[] items, Func<T, ulong> getId, Action<T, ulong> setId, Func<T, T, List<string>, int> compare, List<string> strings)
    {
        Array.Sort(items, (a, b) => compare(a, b, strings));
        var map = new Dictionary<ulong, ulong>(items.Length);
        for (var i = 0; i < items.Length; i++)
        {
            map[getId(items[i])] = (ulong)(i + 1);
            setId(items[i], (ulong)(i + 1));
        }

        return map;
    }

    private static int CompareMappings(Mapping a, Mapping b, List<string> s) =>
        First(
            string.CompareOrdinal(s[(int)a.Filename], s[(int)b.Filename]),
            string.CompareOrdinal(s[(int)a.BuildId], s[(int)b.BuildId]),
            a.MemoryStart.CompareTo(b.MemoryStart),
            a.MemoryLimit.CompareTo(b.MemoryLimit),
            a.FileOffset.CompareTo(b.FileOffset));

    private static int CompareFunctions(Function a, Function b, List<string> s) =>
        First(
            string.CompareOrdinal(s[(int)a.Name], s[(int)b.Name]),
            string.CompareOrdinal(s[(int)a.SystemName], s[(int)b.SystemName]),
            string.CompareOrdinal(s[(int)a.Filename], s[(int)b.Filename]),
            a.StartLine.CompareTo(b.StartLine));

    private static int CompareLocations(Location a, Location b, List<string> s)
    {
        var c = First(a.MappingId.CompareTo(b.MappingId), a.Address.CompareTo(b.Address), a.Line.Count.CompareTo(b.Line.Count));
        for (var i = 0; c == 0 && i < a.Line.Count; i++)
        {
            c = First(a.Line[i].FunctionId.CompareTo(b.Line[i].FunctionId), a.Line[i].Line_.CompareTo(b.Line[i].Line_), a.Line[i].Column.CompareTo(b.Line[i].Column));
        }

        return c != 0 ? c : a.IsFolded.CompareTo(b.IsFolded);
    }

    private static int CompareSamples(Sample a, Sample b)
    {
        var n = Math.Min(a.LocationId.Count, b.LocationId.Count);
        for (var i = 0; i < n; i++)
        {
            var c = a.LocationId[i].CompareTo(b.LocationId[i]);
            if (c != 0)
            {
                return c;
            }
        }

        var byLength = a.LocationId.Count.CompareTo(b.LocationId.Count);
        if (byLength != 0)
        {
            return byLength;
        }

        for (var i = 0; i < Math.Min(a.Value.Count, b.Value.Count); i++)
        {
            var c = a.Value[i].CompareTo(b.Value[i]);
            if (c != 0)
            {
                return c;
            }
        }

        return 0;
    }

    private static int First(params ReadOnlySpan<int> comparisons)
    {
        foreach (var c in comparisons)
        {
            if (c != 0)
            {
                return c;
            }
        }

        return 0;
    }

    private static void Replace<T>(Google.Protobuf.Collections.RepeatedField<T> field, IEnumerable<T> items)
    {
        field.Clear();
        field.AddRange(items);
    }
}
