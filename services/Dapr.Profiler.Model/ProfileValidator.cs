using Dapr.Profiler.Protos.Pprof;

namespace Dapr.Profiler.Model;

/// <summary>
/// Checks a decoded profile against the rules of the pprof format and renumbers ids densely
/// (see <see cref="PprofDecoder"/>). Every error names the offending element.
/// </summary>
public static class ProfileValidator
{
    /// <exception cref="InvalidProfileException">The profile breaks a rule of the format.</exception>
    public static void ValidateAndNormalize(Profile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var strings = profile.StringTable;
        if (strings.Count == 0)
        {
            strings.Add(string.Empty);
        }
        else if (strings[0].Length != 0)
        {
            throw new InvalidProfileException("string_table[0] must be the empty string");
        }

        var stringCount = strings.Count;
        void Str(long index, string what)
        {
            if ((ulong)index >= (ulong)stringCount)
            {
                throw new InvalidProfileException($"{what} refers to string {index}, outside the string table of {stringCount} entries");
            }
        }

        for (var i = 0; i < profile.SampleType.Count; i++)
        {
            Str(profile.SampleType[i].Type, $"sample_type[{i}].type");
            Str(profile.SampleType[i].Unit, $"sample_type[{i}].unit");
        }

        if (profile.PeriodType is { } periodType)
        {
            Str(periodType.Type, "period_type.type");
            Str(periodType.Unit, "period_type.unit");
        }

        Str(profile.DropFrames, "drop_frames");
        Str(profile.KeepFrames, "keep_frames");
        Str(profile.DefaultSampleType, "default_sample_type");
        Str(profile.DocUrl, "doc_url");
        for (var i = 0; i < profile.Comment.Count; i++)
        {
            Str(profile.Comment[i], $"comment[{i}]");
        }

        var mappingIds = IndexIds(profile.Mapping, static m => m.Id, "mapping");
        for (var i = 0; i < profile.Mapping.Count; i++)
        {
            Str(profile.Mapping[i].Filename, $"mapping[{i}].filename");
            Str(profile.Mapping[i].BuildId, $"mapping[{i}].build_id");
        }

        var functionIds = IndexIds(profile.Function, static f => f.Id, "function");
        for (var i = 0; i < profile.Function.Count; i++)
        {
            var f = profile.Function[i];
            Str(f.Name, $"function[{i}].name");
            Str(f.SystemName, $"function[{i}].system_name");
            Str(f.Filename, $"function[{i}].filename");
        }

        var locationIds = IndexIds(profile.Location, static l => l.Id, "location");
        for (var i = 0; i < profile.Location.Count; i++)
        {
            var location = profile.Location[i];
            if (location.MappingId != 0)
            {
                location.MappingId = Resolve(mappingIds, profile.Mapping.Count, location.MappingId, $"location {location.Id}", "mapping");
            }

            foreach (var line in location.Line)
            {
                line.FunctionId = Resolve(functionIds, profile.Function.Count, line.FunctionId, $"location {location.Id}", "function");
            }

            location.Id = (ulong)(i + 1);
        }

        for (var i = 0; i < profile.Mapping.Count; i++)
        {
            profile.Mapping[i].Id = (ulong)(i + 1);
        }

        for (var i = 0; i < profile.Function.Count; i++)
        {
            profile.Function[i].Id = (ulong)(i + 1);
        }

        var valueCount = profile.SampleType.Count;
        for (var i = 0; i < profile.Sample.Count; i++)
        {
            var sample = profile.Sample[i];
            if (sample.Value.Count != valueCount)
            {
                throw new InvalidProfileException(
                    $"sample[{i}] has {sample.Value.Count} values but the profile has {valueCount} sample types");
            }

            var locations = sample.LocationId;
            for (var j = 0; j < locations.Count; j++)
            {
                locations[j] = Resolve(locationIds, profile.Location.Count, locations[j], $"sample[{i}]", "location");
            }

            foreach (var label in sample.Label)
            {
                Str(label.Key, $"sample[{i}].label.key");
                Str(label.Str, $"sample[{i}].label.str");
                Str(label.NumUnit, $"sample[{i}].label.num_unit");
            }
        }
    }

    /// <summary>
    /// Maps each id to its dense id (index + 1). Returns null when the ids are already dense, so the common
    /// case costs no dictionary.
    /// </summary>
    private static Dictionary<ulong, ulong>? IndexIds<T>(IList<T> items, Func<T, ulong> id, string kind)
    {
        var dense = true;
        for (var i = 0; i < items.Count; i++)
        {
            var value = id(items[i]);
            if (value == 0)
            {
                throw new InvalidProfileException($"{kind}[{i}] has id 0; ids must be nonzero");
            }

            dense &= value == (ulong)(i + 1);
        }

        if (dense)
        {
            return null;
        }

        var map = new Dictionary<ulong, ulong>(items.Count);
        for (var i = 0; i < items.Count; i++)
        {
            if (!map.TryAdd(id(items[i]), (ulong)(i + 1)))
            {
                throw new InvalidProfileException($"{kind} id {id(items[i])} is used twice");
            }
        }

        return map;
    }

    private static ulong Resolve(Dictionary<ulong, ulong>? map, int count, ulong id, string owner, string kind)
    {
        if (map is null)
        {
            if (id == 0 || id > (ulong)count)
            {
                throw new InvalidProfileException($"{owner} refers to {kind} id {id}, which does not exist");
            }

            return id;
        }

        if (!map.TryGetValue(id, out var dense))
        {
            throw new InvalidProfileException($"{owner} refers to {kind} id {id}, which does not exist");
        }

        return dense;
    }
}
