namespace Dapr.Profiler.Block;

/// <summary>A mapping as stored in a dataset; strings are dataset string indexes.</summary>
internal readonly record struct MappingKey(ulong MemoryStart, ulong MemoryLimit, ulong FileOffset, int Filename, int BuildId, byte Flags)
{
    public const byte HasFunctions = 1;
    public const byte HasFilenames = 2;
    public const byte HasLineNumbers = 4;
    public const byte HasInlineFrames = 8;
}

/// <summary>A function as stored in a dataset; strings are dataset string indexes.</summary>
internal readonly record struct FunctionKey(int Name, int SystemName, int Filename, long StartLine);

/// <summary>One line of a location: a dataset function index, line and column.</summary>
internal readonly record struct LineEntry(int Function, long Line, long Column);

/// <summary>
/// A location: mapping (0 = none, else mapping index + 1), address, flags, and its lines as a range of the
/// builder's line buffer (compared by content through <see cref="LocationKeyComparer"/>).
/// </summary>
internal readonly record struct LocationKey(int Mapping, ulong Address, byte Flags, int LineStart, int LineCount)
{
    public const byte IsFolded = 1;
}

/// <summary>Compares locations by mapping, address, flags and line contents.</summary>
internal sealed class LocationKeyComparer(SymbolTableBuilder owner) : IEqualityComparer<LocationKey>
{
    public bool Equals(LocationKey x, LocationKey y) =>
        x.Mapping == y.Mapping
        && x.Address == y.Address
        && x.Flags == y.Flags
        && x.LineCount == y.LineCount
        && owner.LinesOf(x).SequenceEqual(owner.LinesOf(y));

    public int GetHashCode(LocationKey obj)
    {
        var hash = new HashCode();
        hash.Add(obj.Mapping);
        hash.Add(obj.Address);
        hash.Add(obj.Flags);
        foreach (ref readonly var line in owner.LinesOf(obj))
        {
            hash.Add(line.Function);
            hash.Add(line.Line);
            hash.Add(line.Column);
        }

        return hash.ToHashCode();
    }
}
