using Dapr.Profiler.TestKit;

namespace Dapr.Profiler.Model.Tests;

public sealed class StackTreeTests
{
    [Fact]
    public void Add_AccumulatesSelfAtTheLeafAndTotalAlongThePath()
    {
        var tree = TestTrees.Of(("main;foo", 60), ("main;bar", 40), ("main", 5), ("main;foo", 1));

        Assert.Equal(106, tree.Total);
        Assert.Equal(
            [
                "main 5/106",
                "main;bar 40/40",
                "main;foo 61/61",
            ],
            Flatten(tree));
    }

    [Fact]
    public void Add_IgnoresZeroAndNegativeValuesAndEmptyStacks()
    {
        var tree = TestTrees.Of(("main;foo", 10));
        tree.Add(["main", "bar"], 0);
        tree.Add(["main", "baz"], -4);
        tree.Add(ReadOnlySpan<string>.Empty, 7);

        Assert.Equal(10, tree.Total);
        Assert.Equal(2, tree.NodeCount);
    }

    [Fact]
    public void Add_WithInternedIds_BuildsTheSameTreeAsWithStrings()
    {
        var byIds = new StackTree();
        int main = byIds.InternName("main"), foo = byIds.InternName("foo");
        byIds.Add([main, foo], 3);
        byIds.Add([main], 2);

        Assert.True(byIds.TreeEquals(TestTrees.Of(("main;foo", 3), ("main", 2))));
        Assert.Throws<ArgumentOutOfRangeException>(() => byIds.Add([main, 99], 1));
    }

    [Fact]
    public void Merge_SumsMatchingPathsAndKeepsTheRest()
    {
        var left = TestTrees.Of(("main;foo", 60), ("main;bar", 40));
        left.Merge(TestTrees.Of(("main;foo", 5), ("other;x", 7)));

        Assert.Equal(112, left.Total);
        Assert.Equal(
            [
                "main 0/105",
                "main;bar 40/40",
                "main;foo 65/65",
                "other 0/7",
                "other;x 7/7",
            ],
            Flatten(left));
    }

    [Fact]
    public void Merge_WithItself_DoublesEveryValue()
    {
        var tree = TestTrees.Of(("a;b", 3), ("a", 1));
        tree.Merge(tree);

        Assert.True(tree.TreeEquals(TestTrees.Of(("a;b", 6), ("a", 2))));
    }

    [Fact]
    public void TreeEquals_IgnoresInsertionOrderButNotValuesOrNames()
    {
        var tree = TestTrees.Of(("a;b", 3), ("a;c", 4), ("d", 1));

        Assert.True(tree.TreeEquals(TestTrees.Of(("d", 1), ("a;c", 4), ("a;b", 3))));
        Assert.False(tree.TreeEquals(TestTrees.Of(("a;b", 3), ("a;c", 5), ("d", 1))));
        Assert.False(tree.TreeEquals(TestTrees.Of(("a;b", 3), ("a;e", 4), ("d", 1))));
        Assert.False(tree.TreeEquals(TestTrees.Of(("a;b", 3), ("a", 4), ("d", 1))));
        Assert.False(tree.TreeEquals(TestTrees.Of(("a;b", 3), ("a;c", 4), ("d", 1), ("d;e", 1))));
    }

    [Fact]
    public void Nodes_OrdersSiblingsByUtf8Bytes_LikeGo()
    {
        // U+1F600 is a surrogate pair in UTF-16 (0xD83D…) and sorts before U+E000 there; in UTF-8 (F0…) it sorts after.
        var tree = TestTrees.Of(("\U0001F600", 1), ("\uE000", 1), ("z", 1), ("B", 1));

        Assert.Equal(["B", "z", "\uE000", "\U0001F600"], tree.Nodes().Select(n => n.Path[0]));
    }

    [Fact]
    public void FromProfile_WalksLocationsRootFirst_AndInlinedLinesOuterFirst()
    {
        var b = new ProfileBuilder(("samples", "count"), ("cpu", "nanoseconds"));
        var mapping = b.Mapping("/bin/app");
        var main = b.Function("main");
        var inlinedCaller = b.Function("caller");
        var inlinedCallee = b.Function("callee");
        var leaf = b.Function("leaf");
        var rootLocation = b.Location(mapping, 0x10, main);
        var inlined = b.Location(mapping, 0x20, inlinedCallee, inlinedCaller);
        var leafLocation = b.Location(mapping, 0x30, leaf);
        b.Sample([leafLocation, inlined, rootLocation], 2, 20);
        b.Sample([inlined, rootLocation], 1, 10);

        var tree = StackTree.FromProfile(b.Decoded(), 1);

        Assert.Equal(30, tree.Total);
        Assert.Equal(
            [
                "main 0/30",
                "main;caller 0/30",
                "main;caller;callee 10/30",
                "main;caller;callee;leaf 20/20",
            ],
            Flatten(tree));
    }

    [Fact]
    public void FromProfile_NamesLineLessLocationsByHexAddress_AndFallsBackToSystemNameThenUnknown()
    {
        var b = new ProfileBuilder(("samples", "count"));
        var systemOnly = b.Function(string.Empty, systemName: "_ZN3app4mainEv");
        var nameless = b.Function(string.Empty);
        var address = b.Location(0, 0x1A2B);
        var sys = b.Location(0, 0x1, systemOnly);
        var unknown = b.Location(0, 0x2, nameless);
        b.Sample([address, unknown, sys], 4);

        var tree = StackTree.FromProfile(b.Decoded(), 0);

        Assert.Equal(["_ZN3app4mainEv;<unknown>;0x1a2b 4/4"], Flatten(tree).Where(n => n.Count(c => c == ';') == 2));
    }

    [Fact]
    public void FromProfile_UsesTheChosenColumnAndSkipsZeroValues()
    {
        var b = new ProfileBuilder(("alloc_objects", "count"), ("alloc_space", "bytes"));
        b.Stack("main;alloc", 3, 300);
        b.Stack("main;idle", 0, 0);
        b.Stack("main;free", 5, 0);
        var profile = b.Decoded();

        var objects = StackTree.FromProfile(profile, 0);
        var space = StackTree.FromProfile(profile, 1);

        Assert.True(objects.TreeEquals(TestTrees.Of(("main;alloc", 3), ("main;free", 5))), objects.ToString());
        Assert.True(space.TreeEquals(TestTrees.Of(("main;alloc", 300))), space.ToString());
        Assert.Throws<ArgumentOutOfRangeException>(() => StackTree.FromProfile(profile, 2));
    }

    public static TheoryData<string> CorpusFiles() => [.. Corpus.PprofFiles()];

    [Theory]
    [MemberData(nameof(CorpusFiles))]
    public void FromProfile_OnRealProfiles_MatchesTotalsAndLeafSelfOfAnIndependentReader(string file)
    {
        var profile = PprofDecoder.Decode(Corpus.ReadProfile(file));
        var expected = Corpus.Expect(file);

        for (var i = 0; i < expected.SampleTypes.Count; i++)
        {
            var type = expected.SampleTypes[i].Type;
            var tree = StackTree.FromProfile(profile, i);
            Assert.Equal(expected.Totals[type], tree.Total);

            // The reader credits a sample to its leaf frame; in the tree that is the self of nodes with that name.
            var self = tree.Nodes().Where(n => n.Self != 0)
                .GroupBy(n => n.Path[^1], StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.Sum(n => n.Self), StringComparer.Ordinal);
            var want = expected.FunctionSelf[type].Where(p => p.Value != 0)
                .ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
            Assert.Equal(want.OrderBy(p => p.Key, StringComparer.Ordinal), self.OrderBy(p => p.Key, StringComparer.Ordinal));
        }
    }

    /// <summary>Every node as <c>"a;b self/total"</c>, in name order.</summary>
    private static List<string> Flatten(StackTree tree) =>
        tree.Nodes().Select(n => $"{string.Join(';', n.Path)} {n.Self}/{n.Total}").ToList();
}
