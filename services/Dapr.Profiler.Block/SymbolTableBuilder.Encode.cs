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
        EncodeLocations(output);

        output.WriteVarint(_nodeCount - 1);
        for (var i = 1; i < _nodeCount; i++)
        {
            output.WriteVarint(i - _nodeParent[i]);
        }

        var previous = 0L;
        for (var i = 1; i < _nodeCount; i++)
        {
            output.WriteZigZag(_nodeLocation[i] - previous);
            previous = _nodeLocation[i];
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

    private void EncodeLocations(ByteSink output)
    {
        output.WriteVarint(_locations.Count);
        foreach (var l in _locations)
        {
            output.WriteVarint(l.Mapping);
        }

        var previousAddress = 0UL;
        foreach (var l in _locations)
        {
            output.WriteZigZag(unchecked((long)(l.Address - previousAddress)));
            previousAddress = l.Address;
        }

        foreach (var l in _locations)
        {
            output.WriteByte(l.Flags);
        }

        var hasColumns = false;
        foreach (var l in _locations)
        {
            output.WriteVarint(l.LineCount);
            foreach (ref readonly var line in LinesOf(l))
            {
                hasColumns |= line.Column != 0;
            }
        }

        output.WriteByte(hasColumns ? (byte)1 : (byte)0);
        var previousFunction = 0L;
        foreach (var l in _locations)
        {
            foreach (ref readonly var line in LinesOf(l))
            {
                output.WriteZigZag(line.Function - previousFunction);
                previousFunction = line.Function;
            }
        }

        foreach (var l in _locations)
        {
            foreach (ref readonly var line in LinesOf(l))
            {
                output.WriteZigZag(line.Line);
            }
        }

        if (hasColumns)
        {
            foreach (var l in _locations)
            {
                foreach (ref readonly var line in LinesOf(l))
                {
                    output.WriteZigZag(line.Column);
                }
            }
        }
    }
}
