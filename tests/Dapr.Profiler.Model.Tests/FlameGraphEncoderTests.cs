namespace Dapr.Profiler.Model.Tests;

public sealed class FlameGraphEncoderTests
{
    [Fact]
    public void Encode_WorkedExampleFromTheReference()
    {
        var fg = FlameGraphEncoder.Encode(TestTrees.Of(("main;foo", 60), ("main;bar", 40)));

        Assert.Equal(["total", "main", "foo", "bar"], fg.Names);
        Assert.Equal(
            [
                [0, 100, 0, 0],
                [0, 100, 0, 1],
                [0, 40, 40, 3, 0, 60, 60, 2],
            ],
            TestTrees.Levels(fg));
        Assert.Equal(100, fg.Total);
        Assert.Equal(60, fg.MaxSelf);
    }

    [Fact]
    public void Encode_EmptyTree_IsJustTheRoot()
    {
        var fg = FlameGraphEncoder.Encode(new StackTree());

        Assert.Equal(["total"], fg.Names);
        Assert.Equal([[0, 0, 0, 0]], TestTrees.Levels(fg));
        Assert.Equal(0, fg.Total);
        Assert.Equal(0, fg.MaxSelf);
    }

    [Fact]
    public void Encode_PlacesChildrenAfterTheParentsSelf_AndDeltaEncodesAcrossCousins()
    {
        // a has self 10, so its children start at x = 10; e's child starts at 22 (after a), right after c ends.
        var fg = FlameGraphEncoder.Encode(TestTrees.Of(("a", 10), ("a;b", 5), ("a;c", 7), ("e;f", 3)));

        Assert.Equal(["total", "e", "f", "a", "c", "b"], fg.Names);
        Assert.Equal(
            [
                [0, 25, 0, 0],
                [0, 22, 10, 3, 0, 3, 0, 1],
                [10, 5, 5, 5, 0, 7, 7, 4, 0, 3, 3, 2],
            ],
            TestTrees.Levels(fg));
        Assert.Equal(10, fg.MaxSelf);
    }

    [Fact]
    public void Encode_LeavesGapsForSelfOfParentsOnTheLevelBelow()
    {
        // b's child y is at x = 4 (a's total 3 plus b's self 1); a's child x ends at 3, so y's delta is 1.
        var fg = FlameGraphEncoder.Encode(TestTrees.Of(("a;x", 1), ("a", 2), ("b", 1), ("b;y", 2)));

        Assert.Equal([[0, 6, 0, 0], [0, 3, 2, 3, 0, 3, 1, 1], [2, 1, 1, 4, 1, 2, 2, 2]], TestTrees.Levels(fg));
    }

    [Fact]
    public void Encode_SortsChildrenByUtf8Bytes()
    {
        var fg = FlameGraphEncoder.Encode(TestTrees.Of(("\U0001F600", 1), ("\uE000", 2)));

        // In x order U+E000 comes first (UTF-8 EE… < F0…), so it is visited last and named last.
        Assert.Equal(["total", "\U0001F600", "\uE000"], fg.Names);
        Assert.Equal([0, 2, 2, 2, 0, 1, 1, 1], fg.Levels[1].Values);
    }

    [Fact]
    public void Encode_WithTruncation_FoldsChildrenBelowTheMaxNodesThLargestTotalIntoOther()
    {
        // Totals: a 85, b 50, c 30, e 15, d 5. maxNodes 3 → threshold 30 (3rd largest; the root does not count).
        var tree = TestTrees.Of(("a;b", 50), ("a;c", 30), ("a;d", 5), ("e", 15));

        Assert.Equal(30, FlameGraphEncoder.MinValue(tree, 3));
        var fg = FlameGraphEncoder.Encode(tree, 3);

        Assert.Equal(["total", "other", "a", "c", "b"], fg.Names);
        Assert.Equal(
            [
                [0, 100, 0, 0],
                [0, 85, 0, 2, 0, 15, 15, 1],
                [0, 50, 50, 4, 0, 30, 30, 3, 0, 5, 5, 1],
            ],
            TestTrees.Levels(fg));
        Assert.Equal(100, fg.Total);
        Assert.Equal(50, fg.MaxSelf);
    }

    [Fact]
    public void Encode_KeepsEveryNodeTiedWithTheThreshold()
    {
        var tree = TestTrees.Of(("a", 10), ("b", 10), ("c", 10), ("d", 9));

        var fg = FlameGraphEncoder.Encode(tree, 2);

        Assert.Equal(["total", "other", "c", "b", "a"], fg.Names);
        Assert.Equal([0, 10, 10, 4, 0, 10, 10, 3, 0, 10, 10, 2, 0, 9, 9, 1], fg.Levels[1].Values);
    }

    [Fact]
    public void Encode_WithoutTruncation_WhenTheTreeHasAtMostMaxNodesNodesOrMaxNodesIsNotPositive()
    {
        var tree = TestTrees.Of(("a;b", 1), ("c", 100));

        Assert.Equal(0, FlameGraphEncoder.MinValue(tree, 3));
        Assert.Equal(0, FlameGraphEncoder.MinValue(tree, 0));
        Assert.Equal(0, FlameGraphEncoder.MinValue(tree, -1));
        Assert.Equal(1, FlameGraphEncoder.MinValue(tree, 2));
        Assert.DoesNotContain("other", FlameGraphEncoder.Encode(tree, 0).Names);
        Assert.Equal(["total", "c", "a", "b"], FlameGraphEncoder.Encode(tree, 3).Names);
    }

    [Fact]
    public void Encode_CollapsesARealFrameNamedOther_AsPyroscopeDoes()
    {
        var fg = FlameGraphEncoder.Encode(TestTrees.Of(("other;x", 5), ("a", 3)));

        Assert.Equal(["total", "other", "a"], fg.Names);
        Assert.Equal([[0, 8, 0, 0], [0, 3, 3, 2, 0, 5, 5, 1]], TestTrees.Levels(fg));
        Assert.Equal(5, fg.MaxSelf);
    }

    [Fact]
    public void Encode_AFrameNamedTotal_SharesNameIndexZero()
    {
        var fg = FlameGraphEncoder.Encode(TestTrees.Of(("total;a", 2)));

        Assert.Equal(["total", "a"], fg.Names);
        Assert.Equal([[0, 2, 0, 0], [0, 2, 0, 0], [0, 2, 2, 1]], TestTrees.Levels(fg));
    }

    [Fact]
    public void Decode_RestoresTheTree()
    {
        var tree = TestTrees.Of(("a", 10), ("a;b", 5), ("a;c", 7), ("e;f", 3), ("e;f;a", 1));

        var decoded = FlameGraphDecoder.Decode(FlameGraphEncoder.Encode(tree));

        Assert.True(decoded.TreeEquals(tree), decoded.ToString());
    }

    [Fact]
    public void Decode_RejectsANodeOutsideEveryParent()
    {
        var fg = FlameGraphEncoder.Encode(TestTrees.Of(("a", 1)));
        fg.Levels[1].Values[0] = 5;

        Assert.Throws<ArgumentException>(() => FlameGraphDecoder.Decode(fg));
    }
}
