using System.Buffers;
using System.Globalization;
using Dapr.Profiler.Model;

namespace Dapr.Profiler.Block;

public sealed partial class DatasetReader
{
    /// <summary>
    /// The flame graph tree of the selected series and time range (Unix ms, inclusive). Values are summed per stack
    /// id first, and frames are resolved once per distinct stack.
    /// </summary>
    /// <exception cref="BlockFormatException">The symbols section is corrupt.</exception>
    public StackTree BuildTree(Func<LabelSet, bool>? seriesFilter = null, long startMs = long.MinValue, long endMs = long.MaxValue)
    {
        var tree = new StackTree();
        AddToTree(tree, seriesFilter, startMs, endMs);
        return tree;
    }

    /// <summary>Adds the selected stacks to an existing tree (for merging several datasets or blocks).</summary>
    public void AddToTree(StackTree tree, Func<LabelSet, bool>? seriesFilter = null, long startMs = long.MinValue, long endMs = long.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(tree);
        var symbols = Symbols;
        var totals = AggregateStacks(SelectSeries(seriesFilter), startMs, endMs, symbols.NodeCount, out _);
        try
        {
            var names = new FrameNames(symbols, tree);
            var locations = new List<int>();
            var path = new List<int>();
            for (var node = 1; node < symbols.NodeCount; node++)
            {
                var value = totals[node];
                if (value <= 0)
                {
                    continue;
                }

                StackLocations(symbols, node, locations);
                path.Clear();
                for (var i = locations.Count - 1; i >= 0; i--)
                {
                    names.AppendFrames(locations[i], path);
                }

                tree.Add(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(path), value);
            }
        }
        finally
        {
            ArrayPool<long>.Shared.Return(totals);
        }
    }

    /// <summary>The frame names of a stack id, root first (as <see cref="StackTree.Add(ReadOnlySpan{string}, long)"/> takes them).</summary>
    public void GetFrames(int stackId, List<string> framesRootFirst)
    {
        ArgumentNullException.ThrowIfNull(framesRootFirst);
        var symbols = Symbols;
        ArgumentOutOfRangeException.ThrowIfNegative(stackId);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(stackId, symbols.NodeCount);
        var locations = new List<int>();
        StackLocations(symbols, stackId, locations);
        for (var i = locations.Count - 1; i >= 0; i--)
        {
            var location = symbols.Locations[locations[i]];
            var lines = symbols.LinesOf(location);
            if (lines.IsEmpty)
            {
                framesRootFirst.Add(AddressFrame(location.Address));
                continue;
            }

            for (var k = lines.Length - 1; k >= 0; k--)
            {
                framesRootFirst.Add(FunctionFrame(symbols, lines[k].Function));
            }
        }
    }

    /// <summary>
    /// Sums the values of the selected rows per stack id into a pooled array of <paramref name="nodeCount"/> entries
    /// (return it to <see cref="ArrayPool{T}.Shared"/>). <paramref name="firstRow"/> is the first selected row, or -1.
    /// </summary>
    internal long[] AggregateStacks(bool[] selected, long startMs, long endMs, int nodeCount, out int firstRow)
    {
        var totals = ArrayPool<long>.Shared.Rent(Math.Max(nodeCount, 1));
        Array.Clear(totals, 0, nodeCount);
        var rows = RowData;
        firstRow = -1;
        for (var s = 0; s < selected.Length; s++)
        {
            if (!selected[s])
            {
                continue;
            }

            var (from, to) = RowRange(s, startMs, endMs);
            if (from < to && firstRow < 0)
            {
                firstRow = from;
            }

            var ids = rows.StackIds;
            var values = rows.Values;
            for (var i = rows.SampleStart[from]; i < rows.SampleStart[to]; i++)
            {
                totals[ids[i]] = SaturatingMath.Add(totals[ids[i]], values[i]);
            }
        }

        return totals;
    }

    /// <summary>The locations of a stack, leaf first.</summary>
    internal static void StackLocations(SymbolsSection symbols, int node, List<int> locations)
    {
        locations.Clear();
        var parents = symbols.NodeParent;
        var nodeLocations = symbols.NodeLocation;
        for (; node > 0; node = parents[node])
        {
            locations.Add(nodeLocations[node]);
        }
    }

    private static string AddressFrame(ulong address) => string.Create(CultureInfo.InvariantCulture, $"0x{address:x}");

    private static string FunctionFrame(SymbolsSection symbols, int function)
    {
        var f = symbols.Functions[function];
        var name = symbols.GetString(f.Name);
        if (name.Length > 0)
        {
            return name;
        }

        name = symbols.GetString(f.SystemName);
        return name.Length > 0 ? name : StackTree.UnknownFunctionName;
    }

    /// <summary>Resolves locations to interned frame name ids of one tree, caching per location.</summary>
    private sealed class FrameNames(SymbolsSection symbols, StackTree tree)
    {
        private readonly int[] _functionNames = Filled(symbols.Functions.Length);
        private readonly int[] _start = Filled(symbols.Locations.Length);
        private readonly int[] _length = new int[symbols.Locations.Length];
        private readonly List<int> _frames = [];

        /// <summary>Appends the frames of a location, outermost caller first.</summary>
        public void AppendFrames(int location, List<int> path)
        {
            if (_start[location] < 0)
            {
                Resolve(location);
            }

            for (var i = 0; i < _length[location]; i++)
            {
                path.Add(_frames[_start[location] + i]);
            }
        }

        private static int[] Filled(int length)
        {
            var array = new int[length];
            Array.Fill(array, -1);
            return array;
        }

        private void Resolve(int location)
        {
            var key = symbols.Locations[location];
            var lines = symbols.LinesOf(key);
            _start[location] = _frames.Count;
            if (lines.IsEmpty)
            {
                _frames.Add(tree.InternName(AddressFrame(key.Address)));
            }
            else
            {
                for (var k = lines.Length - 1; k >= 0; k--)
                {
                    var function = lines[k].Function;
                    if (_functionNames[function] < 0)
                    {
                        _functionNames[function] = tree.InternName(FunctionFrame(symbols, function));
                    }

                    _frames.Add(_functionNames[function]);
                }
            }

            _length[location] = _frames.Count - _start[location];
        }
    }
}
