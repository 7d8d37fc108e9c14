using System.Text;

namespace Dapr.Profiler.Block;

internal sealed partial class SymbolTableBuilder
{
    /// <summary>Writes the raw (uncompressed) symbols section; the layout is in README.md.</summary>
    public void Encode(ByteSink output)
    {
        EncodeStrings(_strings, output);

        output.WriteVarint(_mappings.Count);
        foreach (var m in _mappings)
        {
            output.WriteVarint(m.MemoryStart);
        }

        foreach (var m in _mappings)
        {
            output.WriteZigZag(unchecked((long)(m.MemoryLimit - m.MemoryStart)));
        }

        foreach (var m in _mappings)
        {
            output.WriteVarint(m.FileOffset);
        }

        foreach (var m in _mappings)
        {
            output.WriteVarint(m.Filename);
        }

        foreach (var m in _mappings)
        {
            output.WriteVarint(m.BuildId);
        }

        foreach (var m in _mappings)
        {
            output.WriteByte(m.Flags);
        }

        EncodeFunctions(output);
        var order = LocationOrder(out var rank);
        EncodeLocations(output, order);

        output.WriteVarint(_nodeCount - 1);
        for (var i = 1; i < _nodeCount; i++)
        {
            output.WriteVarint(i - _nodeParent[i]);
        }

        var previous = 0L;
        for (var i = 1; i < _nodeCount; i++)
        {
            var location = rank[_nodeLocation[i]];
            output.WriteZigZag(location - previous);
            previous = location;
        }
    }

    /// <summary>A string table: count, the UTF-8 length of each string, then all the bytes.</summary>
    internal static void EncodeStrings(IReadOnlyList<string> strings, ByteSink output)
    {
        output.WriteVarint(strings.Count);
        for (var i = 0; i < strings.Count; i++)
        {
            output.WriteVarint(Encoding.UTF8.GetByteCount(strings[i]));
        }

        for (var i = 0; i < strings.Count; i++)
        {
            output.WriteUtf8(strings[i]);
        }
    }

    private void EncodeFunctions(ByteSink output)
    {
        output.WriteVarint(_functions.Count);
        var previous = 0L;
        foreach (var f in _functions)
        {
            output.WriteZigZag(f.Name - previous);
            previous = f.Name;
        }

        foreach (var f in _functions)
        {
            output.WriteZigZag((long)f.SystemName - f.Name);
        }

        previous = 0;
        foreach (var f in _functions)
        {
            output.WriteZigZag(f.Filename - previous);
            previous = f.Filename;
        }

        foreach (var f in _functions)
        {
            output.WriteZigZag(f.StartLine);
        }
    }

    /// <summary>
    /// Locations are written sorted by mapping and address, so address deltas are small; <paramref name="rank"/> maps
    /// a location index to its position in the section.
    /// </summary>
    private int[] LocationOrder(out int[] rank)
    {
        var count = _locations.Count;
        var order = new int[count];
        var keys = new (int Mapping, ulong Address, int Index)[count];
        for (var i = 0; i < count; i++)
        {
            keys[i] = (_locations[i].Mapping, _locations[i].Address, i);
        }

        Array.Sort(keys);
        rank = new int[count];
        for (var i = 0; i < count; i++)
        {
            order[i] = keys[i].Index;
            rank[keys[i].Index] = i;
        }

        return order;
    }

    private void EncodeLocations(ByteSink output, int[] order)
    {
        output.WriteVarint(order.Length);
        foreach (var index in order)
        {
            output.WriteVarint(_locations[index].Mapping);
        }

        var previousAddress = 0UL;
        foreach (var index in order)
        {
            var address = _locations[index].Address;
            output.WriteZigZag(unchecked((long)(address - previousAddress)));
            previousAddress = address;
        }

        foreach (var index in order)
        {
            output.WriteByte(_locations[index].Flags);
        }

        var hasColumns = false;
        foreach (var index in order)
        {
            output.WriteVarint(_locations[index].LineCount);
            foreach (ref readonly var line in LinesOf(_locations[index]))
            {
                hasColumns |= line.Column != 0;
            }
        }

        output.WriteByte(hasColumns ? (byte)1 : (byte)0);
        var previousFunction = 0L;
        foreach (var index in order)
        {
            foreach (ref readonly var line in LinesOf(_locations[index]))
            {
                output.WriteZigZag(line.Function - previousFunction);
                previousFunction = line.Function;
            }
        }

        var previousLine = 0L;
        foreach (var index in order)
        {
            foreach (ref readonly var line in LinesOf(_locations[index]))
            {
                output.WriteZigZag(line.Line - previousLine);
                previousLine = line.Line;
            }
        }

        if (hasColumns)
        {
            foreach (var index in order)
            {
                foreach (ref readonly var line in LinesOf(_locations[index]))
                {
                    output.WriteZigZag(line.Column);
                }
            }
        }
    }
}
