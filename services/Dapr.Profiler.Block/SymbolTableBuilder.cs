using System.Runtime.InteropServices;

namespace Dapr.Profiler.Block;

/// <summary>
/// The symbols of one dataset being written: strings, mappings, functions, locations and the stack prefix tree,
/// each deduplicated by value, so symbols shared by many profiles (of any sample type) are stored once.
/// </summary>
/// <remarks>
/// Stack traces are nodes of a prefix tree, <c>(parent node, location)</c>, added root first; node 0 is the empty
/// stack, and a node's parent always has a smaller id. A stack id is therefore a node id, and walking parents from
/// a node gives the locations leaf first, as pprof lists them.
/// </remarks>
internal sealed partial class SymbolTableBuilder
{
    private readonly Dictionary<string, int> _stringIndex = new(StringComparer.Ordinal) { [string.Empty] = 0 };
    private readonly List<string> _strings = [string.Empty];
    private readonly Dictionary<MappingKey, int> _mappingIndex = [];
    private readonly List<MappingKey> _mappings = [];
    private readonly Dictionary<FunctionKey, int> _functionIndex = [];
    private readonly List<FunctionKey> _functions = [];
    private readonly Dictionary<LocationKey, int> _locationIndex;
    private readonly List<LocationKey> _locations = [];
    private readonly Dictionary<long, int> _nodeIndex = [];
    private LineEntry[] _lines = new LineEntry[256];
    private int _lineCount;
    private int[] _nodeParent = new int[256];
    private int[] _nodeLocation = new int[256];
    private int _nodeCount = 1;

    public SymbolTableBuilder()
    {
        _locationIndex = new Dictionary<LocationKey, int>(new LocationKeyComparer(this));
        _nodeParent[0] = -1;
        _nodeLocation[0] = -1;
    }

    public ReadOnlySpan<LineEntry> LinesOf(in LocationKey location) => _lines.AsSpan(location.LineStart, location.LineCount);

    public int AddString(string value)
    {
        ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(_stringIndex, value, out var exists);
        if (!exists)
        {
            slot = _strings.Count;
            _strings.Add(value);
        }

        return slot;
    }

    public int AddMapping(in MappingKey mapping)
    {
        ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(_mappingIndex, mapping, out var exists);
        if (!exists)
        {
            slot = _mappings.Count;
            _mappings.Add(mapping);
        }

        return slot;
    }

    public int AddFunction(in FunctionKey function)
    {
        ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(_functionIndex, function, out var exists);
        if (!exists)
        {
            slot = _functions.Count;
            _functions.Add(function);
        }

        return slot;
    }

    /// <summary>
    /// Starts a location: returns a buffer for <paramref name="lineCount"/> lines to fill before calling
    /// <see cref="CommitLocation"/>. Nothing is kept if the location turns out to exist already.
    /// </summary>
    public Span<LineEntry> BeginLocationLines(int lineCount)
    {
        if (_lineCount + lineCount > _lines.Length)
        {
            Array.Resize(ref _lines, Math.Max(_lines.Length * 2, _lineCount + lineCount));
        }

        return _lines.AsSpan(_lineCount, lineCount);
    }

    /// <summary>Adds the location whose lines were written to <see cref="BeginLocationLines"/> and returns its index.</summary>
    public int CommitLocation(int mapping, ulong address, byte flags, int lineCount)
    {
        var key = new LocationKey(mapping, address, flags, _lineCount, lineCount);
        ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(_locationIndex, key, out var exists);
        if (!exists)
        {
            slot = _locations.Count;
            _locations.Add(key);
            _lineCount += lineCount;
        }

        return slot;
    }

    /// <summary>The node for <paramref name="location"/> called from the stack <paramref name="parent"/>.</summary>
    public int AddNode(int parent, int location)
    {
        var key = ((long)parent << 32) | (uint)location;
        ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(_nodeIndex, key, out var exists);
        if (!exists)
        {
            if (_nodeCount == _nodeParent.Length)
            {
                Array.Resize(ref _nodeParent, _nodeCount * 2);
                Array.Resize(ref _nodeLocation, _nodeCount * 2);
            }

            slot = _nodeCount++;
            _nodeParent[slot] = parent;
            _nodeLocation[slot] = location;
        }

        return slot;
    }
}
