using System.Text;
using Dapr.Profiler.Model;

namespace Dapr.Profiler.Block;

/// <summary>The decoded series index of a dataset: each series' label set and profile type.</summary>
internal sealed class SeriesSection
{
    private const string Name = "series index";

    private SeriesSection(DatasetSeries[] series)
    {
        Series = series;
    }

    public DatasetSeries[] Series { get; }

    /// <summary>Writes the raw series index: a string table, the profile types, then each series' type and labels.</summary>
    public static void Encode(IReadOnlyList<LabelSet> labels, IReadOnlyList<ProfileTypeId> types, ReadOnlySpan<int> order, ByteSink output)
    {
        var strings = new List<string> { string.Empty };
        var stringIndex = new Dictionary<string, int>(StringComparer.Ordinal) { [string.Empty] = 0 };
        int Str(string value)
        {
            if (!stringIndex.TryGetValue(value, out var index))
            {
                index = strings.Count;
                stringIndex.Add(value, index);
                strings.Add(value);
            }

            return index;
        }

        var typeList = new List<ProfileTypeId>();
        var typeIndex = new Dictionary<ProfileTypeId, int>();
        var seriesTypes = new int[order.Length];
        var seriesLabels = new List<int>();
        for (var i = 0; i < order.Length; i++)
        {
            var type = types[order[i]];
            if (!typeIndex.TryGetValue(type, out var t))
            {
                t = typeList.Count;
                typeIndex.Add(type, t);
                typeList.Add(type);
            }

            seriesTypes[i] = t;
            foreach (var label in labels[order[i]])
            {
                seriesLabels.Add(Str(label.Name));
                seriesLabels.Add(Str(label.Value));
            }
        }

        var typeStrings = new int[typeList.Count * 5];
        for (var t = 0; t < typeList.Count; t++)
        {
            var type = typeList[t];
            typeStrings[(t * 5) + 0] = Str(type.Name);
            typeStrings[(t * 5) + 1] = Str(type.SampleType);
            typeStrings[(t * 5) + 2] = Str(type.SampleUnit);
            typeStrings[(t * 5) + 3] = Str(type.PeriodType);
            typeStrings[(t * 5) + 4] = Str(type.PeriodUnit);
        }

        SymbolTableBuilder.EncodeStrings(strings, output);
        output.WriteVarint(typeList.Count);
        foreach (var s in typeStrings)
        {
            output.WriteVarint(s);
        }

        output.WriteVarint(order.Length);
        var position = 0;
        for (var i = 0; i < order.Length; i++)
        {
            var count = labels[order[i]].Count;
            output.WriteVarint(seriesTypes[i]);
            output.WriteVarint(count);
            for (var k = 0; k < count * 2; k++)
            {
                output.WriteVarint(seriesLabels[position++]);
            }
        }
    }

    public static SeriesSection Decode(ReadOnlySpan<byte> raw)
    {
        var source = new ByteSource(raw, Name);
        var strings = DecodeStrings(ref source);
        var typeCount = source.ReadCount(5, "profile types");
        var types = new ProfileTypeId[typeCount];
        for (var t = 0; t < typeCount; t++)
        {
            types[t] = new ProfileTypeId(
                strings[source.ReadIndex(strings.Length, "string")],
                strings[source.ReadIndex(strings.Length, "string")],
                strings[source.ReadIndex(strings.Length, "string")],
                strings[source.ReadIndex(strings.Length, "string")],
                strings[source.ReadIndex(strings.Length, "string")]);
        }

        var seriesCount = source.ReadCount(2, "series");
        var series = new DatasetSeries[seriesCount];
        for (var i = 0; i < seriesCount; i++)
        {
            var type = types.Length == 0 ? throw source.Error("has series but no profile types") : types[source.ReadIndex(types.Length, "profile type")];
            var labelCount = source.ReadCount(2, "labels");
            var pairs = new LabelPair[labelCount];
            for (var k = 0; k < labelCount; k++)
            {
                pairs[k] = new LabelPair(strings[source.ReadIndex(strings.Length, "string")], strings[source.ReadIndex(strings.Length, "string")]);
            }

            LabelSet labels;
            try
            {
                labels = LabelSet.Create((IEnumerable<LabelPair>)pairs);
            }
            catch (ArgumentException ex)
            {
                throw new BlockFormatException($"{Name} section has an invalid label set: {ex.Message}", ex);
            }

            series[i] = new DatasetSeries(i, labels, type);
        }

        source.ExpectEnd();
        return new SeriesSection(series);
    }

    /// <summary>Decodes a string table written by <see cref="SymbolTableBuilder.EncodeStrings"/>.</summary>
    internal static string[] DecodeStrings(ref ByteSource source)
    {
        var offsets = DecodeStringOffsets(ref source, out var bytes);
        var strings = new string[offsets.Length - 1];
        for (var i = 0; i < strings.Length; i++)
        {
            strings[i] = Encoding.UTF8.GetString(bytes.Slice(offsets[i], offsets[i + 1] - offsets[i]));
        }

        return strings;
    }

    /// <summary>Reads a string table's lengths and bytes; string i is <c>bytes[offsets[i]..offsets[i + 1]]</c>.</summary>
    internal static int[] DecodeStringOffsets(ref ByteSource source, out ReadOnlySpan<byte> bytes)
    {
        var count = source.ReadCount(1, "strings");
        if (count == 0)
        {
            throw source.Error("has an empty string table (entry 0 must be \"\")");
        }

        var offsets = new int[count + 1];
        long total = 0;
        for (var i = 0; i < count; i++)
        {
            var length = source.ReadVarint();
            total += (long)Math.Min(length, int.MaxValue);
            if (total > source.Remaining)
            {
                throw source.Error($"declares {total} bytes of strings, more than it holds");
            }

            offsets[i + 1] = (int)total;
        }

        if (offsets[1] != 0)
        {
            throw source.Error("has a string table whose entry 0 is not \"\"");
        }

        bytes = source.ReadBytes((int)total);
        return offsets;
    }
}
