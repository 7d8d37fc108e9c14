namespace Dapr.Profiler.Model;

// Name order of children: Go compares strings byte by byte, so children sort by their UTF-8 bytes.
public sealed partial class StackTree
{
    /// <summary>Every node but the root, depth first with children in name order: its path from the root, self and total.</summary>
    public IEnumerable<(IReadOnlyList<string> Path, long Self, long Total)> Nodes()
    {
        var sorted = GetSortedChildren();
        var result = new List<(IReadOnlyList<string>, long, long)>(NodeCount);
        var path = new List<string>();
        var stack = new Stack<(int Node, int Depth)>();
        for (var i = sorted.End(Root) - 1; i >= sorted.Start(Root); i--)
        {
            stack.Push((sorted.Items[i], 0));
        }

        while (stack.TryPop(out var item))
        {
            path.RemoveRange(item.Depth, path.Count - item.Depth);
            path.Add(NodeName(item.Node));
            result.Add((path.ToArray(), _nodes[item.Node].Self, _nodes[item.Node].Total));
            for (var i = sorted.End(item.Node) - 1; i >= sorted.Start(item.Node); i--)
            {
                stack.Push((sorted.Items[i], item.Depth + 1));
            }
        }

        return result;
    }

    /// <summary>One line per node with self or total, <c>a;b;c self/total</c>, in name order; for test failure messages.</summary>
    public override string ToString() =>
        string.Join('\n', Nodes().Select(n => $"{string.Join(';', n.Path)} {n.Self}/{n.Total}"));

    /// <summary>Children of every node sorted by name (UTF-8 byte order, as Go compares strings).</summary>
    internal SortedChildren GetSortedChildren()
    {
        var rank = NameRanks();
        var start = new int[_count + 1];
        for (var i = 1; i < _count; i++)
        {
            start[_nodes[i].Parent + 1]++;
        }

        for (var i = 0; i < _count; i++)
        {
            start[i + 1] += start[i];
        }

        var items = new int[Math.Max(_count - 1, 0)];
        var keys = new int[items.Length];
        var fill = new int[_count];
        Array.Copy(start, fill, _count);
        for (var i = 1; i < _count; i++)
        {
            var position = fill[_nodes[i].Parent]++;
            items[position] = i;
            keys[position] = rank[_nodes[i].NameId];
        }

        for (var i = 0; i < _count; i++)
        {
            var length = start[i + 1] - start[i];
            if (length > 1)
            {
                Array.Sort(keys, items, start[i], length);
            }
        }

        return new SortedChildren(start, items);
    }

    /// <summary>For each name id, its position in name order (UTF-8 byte order).</summary>
    internal int[] NameRanks()
    {
        var order = new int[_names.Count];
        for (var i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        var names = _names;
        Array.Sort(order, (a, b) => NameOrder.CompareUtf8(names[a], names[b]));
        var rank = new int[order.Length];
        for (var i = 0; i < order.Length; i++)
        {
            rank[order[i]] = i;
        }

        return rank;
    }

    /// <summary>
    /// Puts the children of <paramref name="node"/> that <paramref name="filter"/> keeps into <paramref name="buffer"/>
    /// in name order (<paramref name="rank"/> from <see cref="NameRanks"/>) and returns how many. The filter sees every
    /// child and accounts for the rejected ones itself. Sorting only visited nodes keeps encoding cheap for huge trees.
    /// </summary>
    internal int CollectChildren<TFilter>(int node, int[] rank, ChildBuffer buffer, ref TFilter filter)
        where TFilter : struct, IChildFilter
    {
        var count = 0;
        for (var child = _nodes[node].FirstChild; child != NoNode; child = _nodes[child].NextSibling)
        {
            if (!filter.Keep(child))
            {
                continue;
            }

            buffer.Ensure(count + 1);
            buffer.Items[count] = child;
            buffer.Keys[count] = rank[_nodes[child].NameId];
            count++;
        }

        if (count > 1)
        {
            Array.Sort(buffer.Keys, buffer.Items, 0, count);
        }

        return count;
    }

    /// <summary>Children lists in compressed form: the children of node n are <c>Items[Start(n)..End(n))</c>.</summary>
    internal readonly struct SortedChildren(int[] start, int[] items)
    {
        public int[] Items { get; } = items;

        public int Start(int node) => start[node];

        public int End(int node) => start[node + 1];
    }

    /// <summary>Decides which children an encoder keeps and sums up the others (a struct, so calls are inlined).</summary>
    internal interface IChildFilter
    {
        /// <summary>True to keep the child; false after adding it to the filter's "other" sums.</summary>
        bool Keep(int child);
    }

    /// <summary>Reusable scratch arrays for <see cref="CollectChildren{TFilter}"/>.</summary>
    internal sealed class ChildBuffer
    {
        private int[] _items = new int[16];
        private int[] _keys = new int[16];

        public int[] Items => _items;

        public int[] Keys => _keys;

        public void Ensure(int length)
        {
            if (_items.Length < length)
            {
                var size = Math.Max(length, _items.Length * 2);
                Array.Resize(ref _items, size);
                Array.Resize(ref _keys, size);
            }
        }
    }
}
