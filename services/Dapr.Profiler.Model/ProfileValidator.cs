using System.Globalization;
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
        for (var i = 0; i < profile.SampleType.Count; i++)
        {
            Str(profile.SampleType[i].Type, stringCount, "sample_type[{0}].type", i);
            Str(profile.SampleType[i].Unit, stringCount, "sample_type[{0}].unit", i);
        }

        if (profile.PeriodType is { } periodType)
        {
            Str(periodType.Type, stringCount, "period_type.type", 0);
            Str(periodType.Unit, stringCount, "period_type.unit", 0);
        }

        Str(profile.DropFrames, stringCount, "drop_frames", 0);
        Str(profile.KeepFrames, stringCount, "keep_frames", 0);
        Str(profile.DefaultSampleType, stringCount, "default_sample_type", 0);
        Str(profile.DocUrl, stringCount, "doc_url", 0);
        for (var i = 0; i < profile.Comment.Count; i++)
        {
            Str(profile.Comment[i], stringCount, "comment[{0}]", i);
        }

        var mappingIds = IndexIds(profile.Mapping, static m => m.Id, "mapping");
        for (var i = 0; i < profile.Mapping.Count; i++)
        {
            Str(profile.Mapping[i].Filename, stringCount, "mapping[{0}].filename", i);
            Str(profile.Mapping[i].BuildId, stringCount, "mapping[{0}].build_id", i);
        }

        var functionIds = IndexIds(profile.Function, static f => f.Id, "function");
        for (var i = 0; i < profile.Function.Count; i++)
        {
            var f = profile.Function[i];
            Str(f.Name, stringCount, "function[{0}].name", i);
            Str(f.SystemName, stringCount, "function[{0}].system_name", i);
            Str(f.Filename, stringCount, "function[{0}].filename", i);
        }

        var locationIds = IndexIds(profile.Location, static l => l.Id, "location");
        for (var i = 0; i < profile.Location.Count; i++)
        {
            var location = profile.Location[i];
            if (location.MappingId != 0)
            {
                location.MappingId = Resolve(mappingIds, profile.Mapping.Count, location.MappingId, "location {0}", location.Id, "mapping");
            }

            var lines = location.Line;
            for (var j = 0; j < lines.Count; j++)
            {
                lines[j].FunctionId = Resolve(functionIds, profile.Function.Count, lines[j].FunctionId, "location {0}", location.Id, "function");
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
                locations[j] = Resolve(locationIds, profile.Location.Count, locations[j], "sample[{0}]", (ulong)i, "location");
            }

            var labels = sample.Label;
            for (var j = 0; j < labels.Count; j++)
            {
                Str(labels[j].Key, stringCount, "sample[{0}].label.key", i);
                Str(labels[j].Str, stringCount, "sample[{0}].label.str", i);
                Str(labels[j].NumUnit, stringCount, "sample[{0}].label.num_unit", i);
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

    private static void Str(long index, int stringCount, string what, long element)
    {
        if ((ulong)index >= (ulong)stringCount)
        {
            var field = string.Format(CultureInfo.InvariantCulture, what, element);
            throw new InvalidProfileException($"{field} refers to string {index}, outside the string table of {stringCount} entries");
        }
    }

    /// <summary>Maps an id to its dense id; the owner is formatted only when the id does not resolve.</summary>
    private static ulong Resolve(Dictionary<ulong, ulong>? map, int count, ulong id, string ownerFormat, ulong ownerId, string kind)
    {
        if (map is null)
        {
            if (id == 0 || id > (ulong)count)
            {
                throw Dangling(ownerFormat, ownerId, kind, id);
            }

            return id;
        }

        if (!map.TryGetValue(id, out var dense))
        {
            throw Dangling(ownerFormat, ownerId, kind, id);
        }

        return dense;
    }

    private static InvalidProfileException Dangling(string ownerFormat, ulong ownerId, string kind, ulong id) =>
        new($"{string.Format(CultureInfo.InvariantCulture, ownerFormat, ownerId)} refers to {kind} id {id}, which does not exist");
}
