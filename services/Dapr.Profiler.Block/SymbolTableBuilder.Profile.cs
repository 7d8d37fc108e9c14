using System.Buffers;
using Dapr.Profiler.Protos.Pprof;

namespace Dapr.Profiler.Block;

internal sealed partial class SymbolTableBuilder
{
    /// <summary>
    /// Adds the symbols of a normalised profile (dense ids, see <c>PprofDecoder</c>) and returns the stack node id of
    /// each sample. Only symbols reachable from samples are added; each is resolved once.
    /// </summary>
    /// <exception cref="ArgumentException">An id or string index is out of range (the profile is not normalised).</exception>
    public int[] ImportProfile(Profile profile)
    {
        var importer = new ProfileImporter(this, profile);
        try
        {
            var samples = profile.Sample;
            var stacks = new int[samples.Count];
            for (var i = 0; i < stacks.Length; i++)
            {
                var ids = samples[i].LocationId;
                var node = 0;
                for (var j = ids.Count - 1; j >= 0; j--)
                {
                    node = AddNode(node, importer.Location(ids[j]));
                }

                stacks[i] = node;
            }

            return stacks;
        }
        finally
        {
            importer.Dispose();
        }
    }

    private static int[] RentFilled(int length)
    {
        var array = ArrayPool<int>.Shared.Rent(Math.Max(length, 1));
        array.AsSpan(0, length).Fill(-1);
        return array;
    }

    /// <summary>Maps one profile's ids to dataset indexes, lazily, with pooled arrays.</summary>
    private readonly struct ProfileImporter : IDisposable
    {
        private readonly SymbolTableBuilder _owner;
        private readonly Profile _profile;
        private readonly int[] _strings;
        private readonly int[] _mappings;
        private readonly int[] _functions;
        private readonly int[] _locations;

        public ProfileImporter(SymbolTableBuilder owner, Profile profile)
        {
            _owner = owner;
            _profile = profile;
            _strings = RentFilled(profile.StringTable.Count);
            _mappings = RentFilled(profile.Mapping.Count);
            _functions = RentFilled(profile.Function.Count);
            _locations = RentFilled(profile.Location.Count);
        }

        public int Location(ulong id)
        {
            var index = CheckId(id, _profile.Location.Count, "location");
            var mapped = _locations[index];
            if (mapped >= 0)
            {
                return mapped;
            }

            var location = _profile.Location[index];
            var mapping = location.MappingId == 0 ? 0 : Mapping(location.MappingId) + 1;
            var lines = location.Line;
            var buffer = _owner.BeginLocationLines(lines.Count);
            for (var k = 0; k < lines.Count; k++)
            {
                var line = lines[k];
                buffer[k] = new LineEntry(Function(line.FunctionId), line.Line_, line.Column);
            }

            var flags = location.IsFolded ? LocationKey.IsFolded : (byte)0;
            mapped = _owner.CommitLocation(mapping, location.Address, flags, lines.Count);
            _locations[index] = mapped;
            return mapped;
        }

        public void Dispose()
        {
            ArrayPool<int>.Shared.Return(_strings);
            ArrayPool<int>.Shared.Return(_mappings);
            ArrayPool<int>.Shared.Return(_functions);
            ArrayPool<int>.Shared.Return(_locations);
        }

        private static int CheckId(ulong id, int count, string kind)
        {
            if (id == 0 || id > (ulong)count)
            {
                throw new InvalidProfileReferenceException($"{kind} id {id} is out of range 1..{count}; the profile must be normalised (PprofDecoder)");
            }

            return (int)(id - 1);
        }

        private int Mapping(ulong id)
        {
            var index = CheckId(id, _profile.Mapping.Count, "mapping");
            var mapped = _mappings[index];
            if (mapped < 0)
            {
                var m = _profile.Mapping[index];
                var flags = (byte)((m.HasFunctions ? MappingKey.HasFunctions : 0)
                    | (m.HasFilenames ? MappingKey.HasFilenames : 0)
                    | (m.HasLineNumbers ? MappingKey.HasLineNumbers : 0)
                    | (m.HasInlineFrames ? MappingKey.HasInlineFrames : 0));
                mapped = _owner.AddMapping(new MappingKey(m.MemoryStart, m.MemoryLimit, m.FileOffset, String(m.Filename), String(m.BuildId), flags));
                _mappings[index] = mapped;
            }

            return mapped;
        }

        private int Function(ulong id)
        {
            var index = CheckId(id, _profile.Function.Count, "function");
            var mapped = _functions[index];
            if (mapped < 0)
            {
                var f = _profile.Function[index];
                mapped = _owner.AddFunction(new FunctionKey(String(f.Name), String(f.SystemName), String(f.Filename), f.StartLine));
                _functions[index] = mapped;
            }

            return mapped;
        }

        private int String(long index)
        {
            if ((ulong)index >= (ulong)_profile.StringTable.Count)
            {
                throw new InvalidProfileReferenceException($"string index {index} is out of range");
            }

            var mapped = _strings[(int)index];
            if (mapped < 0)
            {
                mapped = _owner.AddString(_profile.StringTable[(int)index]);
                _strings[(int)index] = mapped;
            }

            return mapped;
        }
    }
}

/// <summary>A profile given to the writer refers to an id or string that does not exist (it was not normalised).</summary>
internal sealed class InvalidProfileReferenceException(string message) : ArgumentException(message);
