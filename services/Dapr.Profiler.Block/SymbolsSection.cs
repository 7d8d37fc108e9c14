using System.Text;

namespace Dapr.Profiler.Block;

/// <summary>
/// The decoded symbols of a dataset. Every reference was range-checked while decoding, so the arrays can be indexed
/// without further checks. Strings are materialised on first use.
/// </summary>
internal sealed class SymbolsSection
{
    private const string Name = "symbols";

    private readonly byte[] _raw;
    private readonly int _stringBase;
    private readonly int[] _stringOffsets;
    private readonly string?[] _strings;

    private SymbolsSection(byte[] raw, int stringBase, int[] stringOffsets)
    {
        _raw = raw;
        _stringBase = stringBase;
        _stringOffsets = stringOffsets;
        _strings = new string?[stringOffsets.Length - 1];
        _strings[0] = string.Empty;
    }

    public int StringCount => _strings.Length;

    public MappingKey[] Mappings { get; private set; } = [];

    public FunctionKey[] Functions { get; private set; } = [];

    public LocationKey[] Locations { get; private set; } = [];

    public LineEntry[] Lines { get; private set; } = [];

    /// <summary>Parent of each stack node; -1 for the root (node 0).</summary>
    public int[] NodeParent { get; private set; } = [];

    /// <summary>Location of each stack node; -1 for the root.</summary>
    public int[] NodeLocation { get; private set; } = [];

    public int NodeCount => NodeParent.Length;

    public string GetString(int index)
    {
        return _strings[index] ??= Encoding.UTF8.GetString(
            _raw,
            _stringBase + _stringOffsets[index],
            _stringOffsets[index + 1] - _stringOffsets[index]);
    }

    public ReadOnlySpan<LineEntry> LinesOf(in LocationKey location) => Lines.AsSpan(location.LineStart, location.LineCount);

    public static SymbolsSection Decode(byte[] raw)
    {
        var source = new ByteSource(raw, Name);
        var offsets = SeriesSection.DecodeStringOffsets(ref source, out var stringBytes);
        var section = new SymbolsSection(raw, source.Position - stringBytes.Length, offsets);
        var strings = offsets.Length - 1;

        var mappingCount = source.ReadCount(6, "mappings");
        var start = new ulong[mappingCount];
        var limit = new ulong[mappingCount];
        var fileOffset = new ulong[mappingCount];
        var filename = new int[mappingCount];
        var buildId = new int[mappingCount];
        for (var i = 0; i < mappingCount; i++)
        {
            start[i] = source.ReadVarint();
        }

        for (var i = 0; i < mappingCount; i++)
        {
            limit[i] = unchecked(start[i] + (ulong)source.ReadZigZag());
        }

        for (var i = 0; i < mappingCount; i++)
        {
            fileOffset[i] = source.ReadVarint();
        }

        for (var i = 0; i < mappingCount; i++)
        {
            filename[i] = source.ReadIndex(strings, "string");
        }

        for (var i = 0; i < mappingCount; i++)
        {
            buildId[i] = source.ReadIndex(strings, "string");
        }

        var mappings = new MappingKey[mappingCount];
        for (var i = 0; i < mappingCount; i++)
        {
            mappings[i] = new MappingKey(start[i], limit[i], fileOffset[i], filename[i], buildId[i], source.ReadByte());
        }

        section.Mappings = mappings;
        section.Functions = DecodeFunctions(ref source, strings);
        DecodeLocations(ref source, section, mappingCount);
        DecodeNodes(ref source, section);
        source.ExpectEnd();
        return section;
    }

    private static int Cumulative(ref ByteSource source, ref long previous, int limit, string what)
    {
        var value = previous + source.ReadZigZag();
        if ((ulong)value >= (ulong)limit)
        {
            throw source.Error($"refers to {what} {value}, but there are only {limit}");
        }

        previous = value;
        return (int)value;
    }

    private static FunctionKey[] DecodeFunctions(ref ByteSource source, int strings)
    {
        var count = source.ReadCount(4, "functions");
        var name = new int[count];
        var systemName = new int[count];
        var filename = new int[count];
        long previous = 0;
        for (var i = 0; i < count; i++)
        {
            name[i] = Cumulative(ref source, ref previous, strings, "string");
        }

        for (var i = 0; i < count; i++)
        {
            long relative = name[i];
            systemName[i] = Cumulative(ref source, ref relative, strings, "string");
        }

        previous = 0;
        for (var i = 0; i < count; i++)
        {
            filename[i] = Cumulative(ref source, ref previous, strings, "string");
        }

        var functions = new FunctionKey[count];
        for (var i = 0; i < count; i++)
        {
            functions[i] = new FunctionKey(name[i], systemName[i], filename[i], source.ReadZigZag());
        }

        return functions;
    }

    private static void DecodeLocations(ref ByteSource source, SymbolsSection section, int mappingCount)
    {
        var count = source.ReadCount(4, "locations");
        var mapping = new int[count];
        var address = new ulong[count];
        var flags = new byte[count];
        for (var i = 0; i < count; i++)
        {
            mapping[i] = source.ReadIndex(mappingCount + 1, "mapping");
        }

        var previousAddress = 0UL;
        for (var i = 0; i < count; i++)
        {
            previousAddress = unchecked(previousAddress + (ulong)source.ReadZigZag());
            address[i] = previousAddress;
        }

        for (var i = 0; i < count; i++)
        {
            flags[i] = source.ReadByte();
        }

        var locations = new LocationKey[count];
        long lineCount = 0;
        for (var i = 0; i < count; i++)
        {
            var n = source.ReadVarint();
            if (n > (ulong)source.Remaining || lineCount + (long)n > source.Remaining / 2)
            {
                throw source.Error($"declares more lines than its remaining {source.Remaining} bytes can hold");
            }

            locations[i] = new LocationKey(mapping[i], address[i], flags[i], (int)lineCount, (int)n);
            lineCount += (long)n;
        }

        var hasColumns = source.ReadByte() != 0;
        var functions = section.Functions.Length;
        var lineFunction = new int[lineCount];
        var lineNumber = new long[lineCount];
        long previous = 0;
        for (var i = 0; i < lineCount; i++)
        {
            lineFunction[i] = Cumulative(ref source, ref previous, functions, "function");
        }

        long previousLine = 0;
        for (var i = 0; i < lineCount; i++)
        {
            lineNumber[i] = previousLine = unchecked(previousLine + source.ReadZigZag());
        }

        var lines = new LineEntry[lineCount];
        for (var i = 0; i < lineCount; i++)
        {
            lines[i] = new LineEntry(lineFunction[i], lineNumber[i], hasColumns ? source.ReadZigZag() : 0);
        }

        section.Locations = locations;
        section.Lines = lines;
    }

    private static void DecodeNodes(ref ByteSource source, SymbolsSection section)
    {
        var count = source.ReadCount(2, "stack nodes");
        var parent = new int[count + 1];
        var location = new int[count + 1];
        parent[0] = -1;
        location[0] = -1;
        for (var i = 1; i <= count; i++)
        {
            var delta = source.ReadVarint();
            if (delta == 0 || delta > (ulong)i)
            {
                throw source.Error($"has stack node {i} with an invalid parent offset {delta}");
            }

            parent[i] = i - (int)delta;
        }

        long previous = 0;
        var locations = section.Locations.Length;
        for (var i = 1; i <= count; i++)
        {
            location[i] = Cumulative(ref source, ref previous, locations, "location");
        }

        section.NodeParent = parent;
        section.NodeLocation = location;
    }
}
