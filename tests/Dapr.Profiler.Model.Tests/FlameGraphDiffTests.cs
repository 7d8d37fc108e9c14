namespace Dapr.Profiler.Model.Tests;

public sealed class FlameGraphDiffTests
{
    [Fact]
    public void Encode_AlignsBothTreesAndDeltaEncodesEachSideSeparately()
    {
        var left = TestTrees.Of(("main;foo", 60), ("main;bar", 40));
        var right = TestTrees.Of(("main;foo", 30), ("main;baz", 10));

        var diff = FlameGraphDiffEncoder.Encode(left, right);

        Assert.Equal(["total", "main", "foo", "baz", "bar"], diff.Names);
        Assert.Equal(
            [
                [0, 100, 0, 0, 40, 0, 0],
                [0, 100, 0, 0, 40, 0, 1],
                [0, 40, 40, 0, 0, 0, 4, 0, 0, 0, 0, 10, 10, 3, 0, 60, 60, 0, 30, 30, 2],
            ],
            TestTrees.Levels(diff));
        Assert.Equal(140, diff.Total);
        Assert.Equal(100, diff.LeftTicks);
        Assert.Equal(40, diff.RightTicks);
        Assert.Equal(60, diff.MaxSelf);
    }

    [Fact]
    public void Encode_MaxSelfLooksAtBothSides()
    {
        var diff = FlameGraphDiffEncoder.Encode(TestTrees.Of(("a", 3)), TestTrees.Of(("b", 70)));

        Assert.Equal(70, diff.MaxSelf);
        Assert.Equal(73, diff.Total);
    }

    [Fact]
    public void Encode_WithTruncation_CountsTheRootAndUsesTheLargerSide()
    {
        // Combined nodes, root included: root max(55, 48) = 55, a 50, b 5, c 8. maxNodes 3 → threshold 8:
        // c stays because its right total reaches it; b goes into "other".
        var left = TestTrees.Of(("a", 50), ("b", 5));
        var right = TestTrees.Of(("a", 40), ("c", 8));

        var diff = FlameGraphDiffEncoder.Encode(left, right, 3);

        Assert.Equal(["total", "other", "c", "a"], diff.Names);
        Assert.Equal(
            [
                [0, 55, 0, 0, 48, 0, 0],
                [0, 50, 50, 0, 40, 40, 3, 0, 0, 0, 0, 8, 8, 2, 0, 5, 5, 0, 0, 0, 1],
            ],
            TestTrees.Levels(diff));
        Assert.Equal(103, diff.Total);
    }

    [Fact]
    public void Encode_KeepsARealFrameNamedOther_UnlikeTheSingleFlameGraph()
    {
        var diff = FlameGraphDiffEncoder.Encode(TestTrees.Of(("other;x", 5)), TestTrees.Of(("other;x", 3)));

        Assert.Equal(["total", "other", "x"], diff.Names);
        Assert.Equal(3, diff.Levels.Count);
        Assert.Equal([0, 5, 5, 0, 3, 3, 2], diff.Levels[2].Values);
    }

    [Fact]
    public void Encode_AFrameNamedTotalGetsItsOwnIndex()
    {
        var diff = FlameGraphDiffEncoder.Encode(TestTrees.Of(("total", 1)), new StackTree());

        Assert.Equal(["total", "total"], diff.Names);
        Assert.Equal([0, 1, 1, 0, 0, 0, 1], diff.Levels[1].Values);
    }

    [Fact]
    public void Encode_TwoEmptyTrees_IsJustTheRoot()
    {
        var diff = FlameGraphDiffEncoder.Encode(new StackTree(), new StackTree());

        Assert.Equal(["total"], diff.Names);
        Assert.Equal([[0, 0, 0, 0, 0, 0, 0]], TestTrees.Levels(diff));
        Assert.Equal(0, diff.Total);
    }

    [Fact]
    public void Decode_RestoresBothTrees_EvenWhenOneSideIsMissingABranch()
    {
        var left = TestTrees.Of(("main;foo", 60), ("main;bar;x", 40), ("only-left;y", 2));
        var right = TestTrees.Of(("main;foo", 30), ("main;baz", 10), ("main", 1));

        var (decodedLeft, decodedRight) = FlameGraphDiffDecoder.Decode(FlameGraphDiffEncoder.Encode(left, right));

        Assert.True(decodedLeft.TreeEquals(left), decodedLeft.ToString());
        Assert.True(decodedRight.TreeEquals(right), decodedRight.ToString());
    }
}
