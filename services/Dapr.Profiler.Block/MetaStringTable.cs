using System.Runtime.InteropServices;

namespace Dapr.Profiler.Block;

/// <summary>The string table of a <c>BlockMeta</c> being written; entry 0 is "".</summary>
internal sealed class MetaStringTable
{
    private readonly Dictionary<string, int> _index = new(StringComparer.Ordinal) { [string.Empty] = 0 };

    public List<string> Strings { get; } = [string.Empty];

    public int Add(string value)
    {
        ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(_index, value, out var exists);
        if (!exists)
        {
            slot = Strings.Count;
            Strings.Add(value);
        }

        return slot;
    }
}
