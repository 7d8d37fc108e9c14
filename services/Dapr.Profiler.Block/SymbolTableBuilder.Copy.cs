namespace Dapr.Profiler.Block;

internal sealed partial class SymbolTableBuilder
{
    /// <summary>
    /// Maps the stack nodes of a decoded symbols section (another block's dataset) into this table, lazily: only the
    /// nodes asked for, with their locations, functions, mappings and strings, are added, each once.
    /// </summary>
    internal sealed class SectionImporter
    {
        private readonly SymbolTableBuilder _owner;
        private readonly SymbolsSection _source;
        private readonly int[] _strings;
        private readonly int[] _mappings;
        private readonly int[] _functions;
        private readonly int[] _locations;
        private readonly int[] _nodes;
        private readonly Stack<int> _pending = new();

        public SectionImporter(SymbolTableBuilder owner, SymbolsSection source)
        {
            _owner = owner;
            _source = source;
            _strings = Filled(source.StringCount);
            _mappings = Filled(source.Mappings.Length);
            _functions = Filled(source.Functions.Length);
            _locations = Filled(source.Locations.Length);
            _nodes = Filled(source.NodeCount);
            _nodes[0] = 0;
        }

        /// <summary>The node of this table for node <paramref name="node"/> of the source.</summary>
        public int Node(int node)
        {
            if (_nodes[node] >= 0)
            {
                return _nodes[node];
            }

            var parents = _source.NodeParent;
            var n = node;
            while (_nodes[n] < 0)
            {
                _pending.Push(n);
                n = parents[n];
            }

            while (_pending.TryPop(out n))
            {
                _nodes[n] = _owner.AddNode(_nodes[parents[n]], Location(_source.NodeLocation[n]));
            }

            return _nodes[node];
        }

        private static int[] Filled(int length)
        {
            var array = new int[length];
            Array.Fill(array, -1);
            return array;
        }

        private int Location(int index)
        {
            if (_locations[index] >= 0)
            {
                return _locations[index];
            }

            var location = _source.Locations[index];
            var mapping = location.Mapping == 0 ? 0 : Mapping(location.Mapping - 1) + 1;
            var sourceLines = _source.LinesOf(location);
            for (var k = 0; k < sourceLines.Length; k++)
            {
                Function(sourceLines[k].Function);
            }

            var lines = _owner.BeginLocationLines(sourceLines.Length);
            for (var k = 0; k < sourceLines.Length; k++)
            {
                lines[k] = sourceLines[k] with { Function = _functions[sourceLines[k].Function] };
            }

            return _locations[index] = _owner.CommitLocation(mapping, location.Address, location.Flags, sourceLines.Length);
        }

        private int Mapping(int index)
        {
            if (_mappings[index] < 0)
            {
                var m = _source.Mappings[index];
                _mappings[index] = _owner.AddMapping(m with { Filename = String(m.Filename), BuildId = String(m.BuildId) });
            }

            return _mappings[index];
        }

        private int Function(int index)
        {
            if (_functions[index] < 0)
            {
                var f = _source.Functions[index];
                _functions[index] = _owner.AddFunction(f with
                {
                    Name = String(f.Name),
                    SystemName = String(f.SystemName),
                    Filename = String(f.Filename),
                });
            }

            return _functions[index];
        }

        private int String(int index)
        {
            if (_strings[index] < 0)
            {
                _strings[index] = _owner.AddString(_source.GetString(index));
            }

            return _strings[index];
        }
    }
}
