using System.Runtime.InteropServices;

namespace Dapr.Profiler.Model;

/// <summary>
/// A merged call tree keyed by frame (function) name, like Pyroscope's <c>FunctionNameTree</c>.
/// </summary>
/// <remarks>
/// Nodes live in one struct array and are addressed by index; node 0 is the root, which has no name. Every other
/// node was created after its parent, so <c>NodeParent(i) &lt; i</c>. Names are interned to ids. Child order inside
/// the tree is insertion order; everything observable (<see cref="Nodes"/>, <see cref="TreeEquals"/>, the
/// encoders) orders children by name, so the result of adding or merging does not depend on the order of the
/// operations. Values that are zero or negative and empty stacks add nothing, as in Pyroscope
/// (<c>Tree.InsertStack</c> ignores <c>v &lt;= 0</c>, and the root never carries self). Sums saturate at
/// <see cref="long.MaxValue"/> (<see cref="SaturatingMath"/>), so no self or total is ever negative; once a node
/// saturates, its total may be less than the sum of its parts, but the merge is exact whenever nothing overflows.
/// </remarks>
public sealed partial class StackTree
{
    /// <summary>The index of the root node.</summary>
    public const int Root = 0;

    /// <summary>Returned by navigation methods when there is no such node.</summary>
    public const int NoNode = -1;

    private readonly Dictionary<long, int> _children;
    private readonly List<string> _names = [];
    private readonly Dictionary<string, int> _nameIds = new(StringComparer.Ordinal);
    private Node[] _nodes;
    private int _count;

    public StackTree()
        : this(64)
    {
    }

    public StackTree(int capacity)
    {
        capacity = Math.Max(capacity, 1);
        _nodes = new Node[capacity];
        _children = new Dictionary<long, int>(capacity);
        _nodes[0] = new Node { NameId = -1, Parent = NoNode, FirstChild = NoNode, NextSibling = NoNode };
        _count = 1;
    }

    /// <summary>The sum of all values added (the root's total).</summary>
    public long Total => _nodes[0].Total;

    /// <summary>The number of nodes, not counting the root.</summary>
    public int NodeCount => _count - 1;

    /// <summary>The number of interned names.</summary>
    public int NameCount => _names.Count;

    public int InternName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        ref var id = ref CollectionsMarshal.GetValueRefOrAddDefault(_nameIds, name, out var exists);
        if (!exists)
        {
            id = _names.Count;
            _names.Add(name);
        }

        return id;
    }

    public bool TryGetNameId(string name, out int nameId) => _nameIds.TryGetValue(name, out nameId);

    public string GetName(int nameId) => _names[nameId];

    /// <summary>The name id of a node; -1 for the root.</summary>
    public int NodeNameId(int node) => _nodes[node].NameId;

    /// <summary>The frame name of a node; the empty string for the root.</summary>
    public string NodeName(int node) => node == Root ? string.Empty : _names[_nodes[node].NameId];

    public long NodeSelf(int node) => _nodes[node].Self;

    public long NodeTotal(int node) => _nodes[node].Total;

    public int NodeParent(int node) => _nodes[node].Parent;

    /// <summary>The first child in insertion order, or <see cref="NoNode"/>.</summary>
    public int FirstChild(int node) => _nodes[node].FirstChild;

    /// <summary>The next sibling in insertion order, or <see cref="NoNode"/>.</summary>
    public int NextSibling(int node) => _nodes[node].NextSibling;

    /// <summary>The child of <paramref name="node"/> named <paramref name="nameId"/>, or <see cref="NoNode"/>.</summary>
    public int FindChild(int node, int nameId) => _children.TryGetValue(Key(node, nameId), out var child) ? child : NoNode;

    /// <summary>Adds one stack, given root first (the last frame is the leaf, which receives the self value).</summary>
    public void Add(ReadOnlySpan<string> framesRootFirst, long value)
    {
        if (value <= 0 || framesRootFirst.IsEmpty)
        {
            return;
        }

        var node = Root;
        AddTotal(Root, value);
        foreach (var frame in framesRootFirst)
        {
            node = GetOrAddChild(node, InternName(frame));
            AddTotal(node, value);
        }

        AddSelf(node, value);
    }

    /// <summary>Adds one stack of interned name ids (see <see cref="InternName"/>), root first.</summary>
    public void Add(ReadOnlySpan<int> nameIdsRootFirst, long value)
    {
        if (value <= 0 || nameIdsRootFirst.IsEmpty)
        {
            return;
        }

        var node = Root;
        AddTotal(Root, value);
        foreach (var nameId in nameIdsRootFirst)
        {
            if ((uint)nameId >= (uint)_names.Count)
            {
                throw new ArgumentOutOfRangeException(nameof(nameIdsRootFirst), nameId, "unknown name id");
            }

            node = GetOrAddChild(node, nameId);
            AddTotal(node, value);
        }

        AddSelf(node, value);
    }

    /// <summary>Adds every node of <paramref name="other"/> to this tree.</summary>
    public void Merge(StackTree other)
    {
        ArgumentNullException.ThrowIfNull(other);
        MergeAndMap(other);
    }

    /// <summary>Merges <paramref name="other"/> and returns, for each of its nodes, the node of this tree it went to.</summary>
    internal int[] MergeAndMap(StackTree other)
    {
        if (ReferenceEquals(other, this))
        {
            var identity = new int[_count];
            for (var i = 0; i < _count; i++)
            {
                AddSelf(i, _nodes[i].Self);
                AddTotal(i, _nodes[i].Total);
                identity[i] = i;
            }

            return identity;
        }

        var nameMap = new int[other._names.Count];
        for (var i = 0; i < nameMap.Length; i++)
        {
            nameMap[i] = InternName(other._names[i]);
        }

        EnsureCapacity(_count + other._count);
        var nodeMap = new int[other._count];
        AddSelf(Root, other._nodes[Root].Self);
        AddTotal(Root, other._nodes[Root].Total);
        for (var i = 1; i < other._count; i++)
        {
            ref readonly var source = ref other._nodes[i];
            var target = GetOrAddChild(nodeMap[source.Parent], nameMap[source.NameId]);
            AddSelf(target, source.Self);
            AddTotal(target, source.Total);
            nodeMap[i] = target;
        }

        return nodeMap;
    }

    /// <summary>True when both trees have the same nodes (by name path) with the same self and total values.</summary>
    public bool TreeEquals(StackTree other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (_count != other._count)
        {
            return false;
        }

        var nameMap = new int[_names.Count];
        for (var i = 0; i < nameMap.Length; i++)
        {
            nameMap[i] = other._nameIds.TryGetValue(_names[i], out var id) ? id : -1;
        }

        // Children have distinct names, so a name-preserving injection between trees of equal size is a bijection.
        var pending = new Stack<(int Mine, int Theirs)>();
        pending.Push((Root, Root));
        while (pending.TryPop(out var pair))
        {
            ref readonly var mine = ref _nodes[pair.Mine];
            ref readonly var theirs = ref other._nodes[pair.Theirs];
            if (mine.Self != theirs.Self || mine.Total != theirs.Total)
            {
                return false;
            }

            for (var child = mine.FirstChild; child != NoNode; child = _nodes[child].NextSibling)
            {
                var otherName = nameMap[_nodes[child].NameId];
                var match = otherName < 0 ? NoNode : other.FindChild(pair.Theirs, otherName);
                if (match == NoNode)
                {
                    return false;
                }

                pending.Push((child, match));
            }
        }

        return true;
    }

    /// <summary>Adds to a node's counts directly (decoders restore encoded values without recomputing them).</summary>
    internal void AddCounts(int node, long self, long total)
    {
        AddSelf(node, self);
        AddTotal(node, total);
    }

    // Sums saturate at long.MaxValue (see SaturatingMath): a tree never shows a wrapped, negative value.
    private void AddSelf(int node, long value) => _nodes[node].Self = SaturatingMath.Add(_nodes[node].Self, value);

    private void AddTotal(int node, long value) => _nodes[node].Total = SaturatingMath.Add(_nodes[node].Total, value);

    /// <summary>Grows storage geometrically ahead of a merge, so merging many trees does not rehash on every call.</summary>
    private void EnsureCapacity(int nodes)
    {
        if (_nodes.Length < nodes)
        {
            var size = Math.Max(nodes, _nodes.Length * 2);
            Array.Resize(ref _nodes, size);
            _children.EnsureCapacity(size);
        }
    }

    internal int GetOrAddChild(int parent, int nameId)
    {
        ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(_children, Key(parent, nameId), out var exists);
        if (exists)
        {
            return slot;
        }

        if (_count == _nodes.Length)
        {
            Array.Resize(ref _nodes, _nodes.Length * 2);
        }

        var index = _count++;
        ref var parentNode = ref _nodes[parent];
        _nodes[index] = new Node
        {
            NameId = nameId,
            Parent = parent,
            FirstChild = NoNode,
            NextSibling = parentNode.FirstChild,
        };
        parentNode.FirstChild = index;
        slot = index;
        return index;
    }

    private static long Key(int parent, int nameId) => ((long)parent << 32) | (uint)nameId;

    private struct Node
    {
        public int NameId;
        public int Parent;
        public int FirstChild;
        public int NextSibling;
        public long Self;
        public long Total;
    }
}
