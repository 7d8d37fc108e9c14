using Dapr.Profiler.Protos.Pprof;

namespace Dapr.Profiler.Model.Tests;

/// <summary>
/// The stack and value bounds of normalisation: depth counted in inline-expanded frames and truncated as Pyroscope
/// does (root side kept, one <c>other</c> frame at the leaf), lines per location, frames per profile, and totals
/// that overflow int64.
/// </summary>
public sealed class StackBoundsTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_795_240_000);
    private static readonly LabelPair[] Labels = [new("__name__", "process_cpu"), new("service_name", "app")];

    [Fact]
    public void StackAtTheDepthLimit_CountingInlinedLines_IsLeftExactlyAsItWas()
    {
        // 2 + 3 + 1 = 6 frames: exactly the limit.
        var b = Builder();
        var root = b.Location(1, 0x1100, b.FunctionNamed("inlined"), b.FunctionNamed("main"));
        var middle = b.Location(1, 0x1200, b.FunctionNamed("c"), b.FunctionNamed("b"), b.FunctionNamed("a"));
        var leaf = b.Location(0, 0x1300);
        b.Sample([leaf, middle, root], 5).Sample([middle, root], 7);
        var before = b.Profile.Clone();

        Normalizer(new NormalizationOptions { MaxStackDepth = 6 }).Normalize(b.Profile, Labels, 0, Now);

        Assert.Equal(before, b.Profile);
    }

    [Fact]
    public void DeepStack_CutInsideALocation_KeepsItsRootSideLinesInANewLocation_AndEndsInOther()
    {
        var b = Builder();
        b.Str("other"); // already in the string table: reused, not added again
        var root = b.Location(1, 0x1100, b.FunctionNamed("inl2"), b.FunctionNamed("inl1"), b.FunctionNamed("main"));
        var leaf = b.Location(1, 0x1200, b.FunctionNamed("leaf"));
        b.Sample([leaf, root], 5).Sample([leaf, root], 7).Sample([root], 1);
        var originalRoot = b.Profile.Location[(int)root - 1].Clone();

        Normalizer(new NormalizationOptions { MaxStackDepth = 3 }).Normalize(b.Profile, Labels, 0, Now);

        var profile = b.Profile;
        Assert.Equal(["main", "inl1", "other"], RootFirst(profile, profile.Sample[0]));
        Assert.Equal(profile.Sample[0].LocationId, profile.Sample[1].LocationId);
        Assert.Equal([root], profile.Sample[2].LocationId);
        var cut = profile.Location[(int)profile.Sample[0].LocationId[1] - 1];
        Assert.NotEqual(root, cut.Id);
        Assert.Equal((originalRoot.MappingId, originalRoot.Address), (cut.MappingId, cut.Address));
        Assert.Equal(originalRoot, profile.Location[(int)root - 1]);
        Assert.Single(profile.StringTable, s => s == "other");
        Assert.Single(profile.Function, f => profile.StringTable[(int)f.Name] == "other");
        Assert.Equal([5L, 7L, 1L], profile.Sample.Select(s => s.Value[0]));
    }

    [Fact]
    public void OneLocationOfManyLinesReferencedManyTimes_IsCutToTheDepthLimit()
    {
        // The measured attack: one location with 5,000 inlined lines, referenced 5,000 times by one sample.
        var b = Builder();
        var lines = Enumerable.Range(0, 5000).Select(i => b.FunctionNamed("f" + i)).ToArray();
        var location = b.Location(1, 0x1100, lines);
        b.Sample(Enumerable.Repeat(location, 5000).ToArray(), 3);

        Normalizer(new NormalizationOptions { MaxLinesPerLocation = 5000 }).Normalize(b.Profile, Labels, 0, Now);

        var frames = RootFirst(b.Profile, b.Profile.Sample[0]);
        Assert.Equal(1000, frames.Count);
        Assert.Equal(Enumerable.Range(0, 999).Select(i => "f" + (4999 - i)), frames.Take(999)); // the outermost callers
        Assert.Equal("other", frames[^1]);
        Assert.Equal(2, b.Profile.Sample[0].LocationId.Count);
        Assert.Equal(3, StackTree.FromProfile(b.Profile, 0).Total);
    }

    [Fact]
    public void LocationWithMoreLinesThanTheLimit_IsRejectedNamingTheSetting()
    {
        var b = Builder();
        var location = b.Location(1, 0x1100, [.. Enumerable.Range(0, 513).Select(i => b.FunctionNamed("f" + i))]);
        b.Sample([location], 1);

        var error = Assert.Throws<ProfileTooLargeException>(() => SeriesNormalizer.Default.Normalize(b.Profile, Labels, 0, Now));

        Assert.Equal(nameof(NormalizationOptions.MaxLinesPerLocation), error.LimitName);
        Assert.Equal(512, error.Limit);
        Assert.Contains("513 lines", error.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(NormalizationOptions.MaxLinesPerLocation), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FramesPerProfile_AreCountedAfterTruncation_AndMoreThanTheLimitIsRejected()
    {
        var options = new NormalizationOptions { MaxStackDepth = 5, MaxFramesPerProfile = 10 };
        Profile Deep(int samples)
        {
            var b = Builder();
            var location = b.Location(1, 0x1100, [.. Enumerable.Range(0, 50).Select(i => b.FunctionNamed("f" + i))]);
            for (var i = 0; i < samples; i++)
            {
                b.Sample([location, location], 1);
            }

            return b.Profile;
        }

        // Two stacks of 100 frames are cut to 5 each: 10 frames.
        Assert.NotEmpty(Normalizer(options).Normalize(Deep(2), Labels, 0, Now));

        var error = Assert.Throws<ProfileTooLargeException>(() => Normalizer(options).Normalize(Deep(3), Labels, 0, Now));
        Assert.Equal(nameof(NormalizationOptions.MaxFramesPerProfile), error.LimitName);
        Assert.Contains(nameof(NormalizationOptions.MaxFramesPerProfile), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TotalOverflowingInt64_IsRejectedNamingTheSampleType_AndOneMaximalValueIsAccepted()
    {
        Profile WithValues(params long[][] samples)
        {
            var b = new ProfileBuilder(("samples", "count"), ("cpu", "nanoseconds"));
            b.Profile.TimeNanos = Now.ToUnixTimeMilliseconds() * 1_000_000;
            var location = b.Location(0, 0x1100, b.FunctionNamed("main"));
            foreach (var values in samples)
            {
                b.Sample([location], values);
            }

            return b.Profile;
        }

        Assert.Equal(2, SeriesNormalizer.Default.Normalize(WithValues([1, long.MaxValue]), Labels, 0, Now).Count);

        var error = Assert.Throws<InvalidProfileException>(() =>
            SeriesNormalizer.Default.Normalize(WithValues([1, long.MaxValue], [1, long.MaxValue]), Labels, 0, Now));
        Assert.Contains("\"cpu\"", error.Message, StringComparison.Ordinal);
        Assert.Contains("overflows int64", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("\"samples\"", error.Message, StringComparison.Ordinal);
    }

    /// <summary>The function names of a sample's stack, root first, lines expanded; a location without lines is its address.</summary>
    internal static List<string> RootFirst(Profile profile, Sample sample)
    {
        var frames = new List<string>();
        for (var i = sample.LocationId.Count - 1; i >= 0; i--)
        {
            var location = profile.Location.Single(l => l.Id == sample.LocationId[i]);
            if (location.Line.Count == 0)
            {
                frames.Add(FormattableString.Invariant($"@{location.Address:x}"));
                continue;
            }

            for (var j = location.Line.Count - 1; j >= 0; j--)
            {
                var function = profile.Function.Single(f => f.Id == location.Line[j].FunctionId);
                frames.Add(profile.StringTable[(int)function.Name]);
            }
        }

        return frames;
    }

    internal static ProfileBuilder Builder()
    {
        var b = new ProfileBuilder(("samples", "count"));
        b.Profile.TimeNanos = Now.ToUnixTimeMilliseconds() * 1_000_000;
        b.Mapping("/bin/app");
        return b;
    }

    private static SeriesNormalizer Normalizer(NormalizationOptions options) => new(options);
}
