using Dapr.Profiler.Protos.Pprof;
using FsCheck;
using FsCheck.Fluent;

namespace Dapr.Profiler.Model.Tests;

/// <summary>Depth truncation over random profiles with random inlined lines, repeated locations and depth limits.</summary>
public sealed class StackBoundsPropertyTests
{
    private static readonly Config Config = Config.QuickThrowOnFailure.WithMaxTest(300);
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_795_240_000);
    private static readonly string[] Names = ["main", "a", "b", "c", "d", "e", "f", "g"];

    [Fact]
    public void EveryStack_FitsTheDepthLimit_KeepsItsRootSide_AndEndsInOtherExactlyWhenCut()
    {
        Check.One(Config, Prop.ForAll(Inputs().ToArbitrary(), input =>
        {
            var (locations, samples, maxDepth) = input;
            var profile = Build(locations, samples);
            var before = profile.Clone();

            new SeriesNormalizer(new NormalizationOptions { MaxStackDepth = maxDepth })
                .Normalize(profile, [new("__name__", "process_cpu")], 0, Now);

            Assert.Equal(before.Sample.Count, profile.Sample.Count);
            for (var i = 0; i < profile.Sample.Count; i++)
            {
                var original = StackBoundsTests.RootFirst(before, before.Sample[i]);
                var kept = StackBoundsTests.RootFirst(profile, profile.Sample[i]);
                Assert.Equal(before.Sample[i].Value, profile.Sample[i].Value);
                Assert.True(kept.Count <= maxDepth, $"depth {kept.Count} over the limit {maxDepth}");
                if (original.Count <= maxDepth)
                {
                    Assert.Equal(before.Sample[i].LocationId, profile.Sample[i].LocationId);
                    Assert.Equal(original, kept);
                }
                else
                {
                    Assert.Equal(maxDepth, kept.Count);
                    Assert.Equal(original.Take(maxDepth - 1), kept.Take(maxDepth - 1));
                    Assert.Equal("other", kept[^1]);
                }
            }

            // The original locations are untouched; truncation only adds.
            Assert.Equal(before.Location, profile.Location.Take(before.Location.Count));
        }));
    }

    /// <summary>Locations (function indexes, callee first; none = a location without lines), samples (location indexes, leaf first) and a depth limit.</summary>
    private static Gen<(int[][] Locations, int[][] Samples, int MaxDepth)> Inputs() =>
        from locations in Gen.Choose(0, 5).SelectMany(n => Gen.Choose(0, Names.Length - 1).ArrayOf(n)).NonEmptyListOf()
        from samples in Gen.Choose(0, 12).SelectMany(n => Gen.Choose(0, 1000).ArrayOf(n)).NonEmptyListOf()
        from maxDepth in Gen.Choose(1, 20)
        select (locations.ToArray(), samples.ToArray(), maxDepth);

    private static Profile Build(int[][] locations, int[][] samples)
    {
        var b = StackBoundsTests.Builder();
        var ids = locations.Select((functions, i) => b.Location((ulong)(i % 2), 0x1000 + ((ulong)i * 16), [.. functions.Select(f => b.FunctionNamed(Names[f]))])).ToArray();
        for (var i = 0; i < samples.Length; i++)
        {
            b.Sample([.. samples[i].Select(x => ids[x % ids.Length])], i + 1);
        }

        return b.Profile;
    }
}
