using Dapr.Profiler.Protos.Pprof;
using Google.Protobuf;

namespace Dapr.Profiler.Model.Tests;

public sealed class PprofMergerTests
{
    [Fact]
    public void Build_DeduplicatesSymbolsAcrossInputs_AndSumsIdenticalStacks()
    {
        var first = new ProfileBuilder(("cpu", "nanoseconds"));
        var second = new ProfileBuilder(("samples", "count"), ("cpu", "nanoseconds"));
        second.Str("padding so that string ids differ");
        foreach (var (b, column) in new[] { (first, 0), (second, 1) })
        {
            var mapping = b.Mapping("/bin/app", "abc");
            var main = b.Function("main", filename: "main.go");
            var work = b.Function("work", filename: "main.go");
            var root = b.Location(mapping, 0x10, main);
            var leaf = b.Location(mapping, 0x20, work);
            var values = new long[b.Profile.SampleType.Count];
            values[column] = 7;
            b.Sample([leaf, root], values);
            values[column] = 0;
            b.Sample([root], values);
        }

        var merger = new PprofMerger();
        merger.Add(first.Decoded(), 0);
        merger.Add(second.Decoded(), 1);
        var merged = merger.Build();

        Assert.Single(merged.Mapping);
        Assert.Equal(2, merged.Function.Count);
        Assert.Equal(2, merged.Location.Count);
        var sample = Assert.Single(merged.Sample);
        Assert.Equal([14L], sample.Value);
        string Frame(ulong locationId) => merged.StringTable[(int)merged.Function[(int)merged.Location[(int)locationId - 1].Line[0].FunctionId - 1].Name];
        Assert.Equal(["work", "main"], sample.LocationId.Select(Frame));
        Assert.Equal(merged.StringTable.Distinct().Count(), merged.StringTable.Count);
        Assert.Equal(string.Empty, merged.StringTable[0]);
        Assert.DoesNotContain("padding so that string ids differ", merged.StringTable);
        Assert.Equal(("cpu", "nanoseconds"), TypeOf(merged, merged.SampleType.Single()));
    }

    [Fact]
    public void Build_KeepsSymbolsThatDifferInAnyKeyField()
    {
        var b = new ProfileBuilder(("samples", "count"));
        var m1 = b.Mapping("/bin/app", "build-1");
        var m2 = b.Mapping("/bin/app", "build-2");
        var f1 = b.Function("f", filename: "a.go");
        var f2 = b.Function("f", filename: "b.go");
        b.Sample([b.Location(m1, 0x10, f1)], 1);
        b.Sample([b.Location(m2, 0x10, f1)], 1);
        b.Sample([b.Location(m1, 0x10, f2)], 1);
        b.Sample([b.Location(m1, 0x10, f1)], 1);

        var merger = new PprofMerger();
        merger.Add(b.Decoded(), 0);
        var merged = merger.Build();

        Assert.Equal(2, merged.Mapping.Count);
        Assert.Equal(2, merged.Function.Count);
        Assert.Equal(3, merged.Location.Count);
        Assert.Equal([2L, 1L, 1L], merged.Sample.Select(s => s.Value[0]));
    }

    [Fact]
    public void Build_TakesPeriodFromTheFirstInput_AndSpansTheTimeOfAllInputs()
    {
        var first = new ProfileBuilder(("cpu", "nanoseconds")).Stack("a", 1);
        first.Profile.PeriodType = new Protos.Pprof.ValueType { Type = first.Str("cpu"), Unit = first.Str("nanoseconds") };
        first.Profile.Period = 10_000_000;
        first.Profile.TimeNanos = 2_000;
        first.Profile.DurationNanos = 500;
        var second = new ProfileBuilder(("cpu", "nanoseconds")).Stack("a", 1);
        second.Profile.Period = 99;
        second.Profile.TimeNanos = 1_000;
        second.Profile.DurationNanos = 100;
        var untimed = new ProfileBuilder(("cpu", "nanoseconds")).Stack("b", 1);

        var merger = new PprofMerger();
        merger.Add(first.Decoded(), 0);
        merger.Add(second.Decoded(), 0);
        merger.Add(untimed.Decoded(), 0);
        var merged = merger.Build();

        Assert.Equal(10_000_000, merged.Period);
        Assert.Equal(("cpu", "nanoseconds"), TypeOf(merged, merged.PeriodType));
        Assert.Equal(1_000, merged.TimeNanos);
        Assert.Equal(1_500, merged.DurationNanos);
        Assert.Equal(3, merged.Sample.Sum(s => s.Value[0]));
    }

    [Fact]
    public void Add_RejectsAColumnOfAnotherTypeOrUnit()
    {
        var merger = new PprofMerger();
        merger.Add(new ProfileBuilder(("cpu", "nanoseconds")).Stack("a", 1).Decoded(), 0);

        Assert.Throws<ArgumentException>(() => merger.Add(new ProfileBuilder(("cpu", "milliseconds")).Stack("a", 1).Decoded(), 0));
        Assert.Throws<ArgumentException>(() => merger.Add(new ProfileBuilder(("wall", "nanoseconds")).Stack("a", 1).Decoded(), 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => merger.Add(new ProfileBuilder(("cpu", "nanoseconds")).Decoded(), 1));
    }

    [Fact]
    public void Build_DropsLabelsAndNonPositiveSamples()
    {
        var b = new ProfileBuilder(("space", "bytes")).Stack("a;b", 5).Stack("a;c", 0).Stack("a;d", -3);
        b.Profile.Sample[0].Label.Add(new Label { Key = b.Str("thread"), Str = b.Str("main") });

        var merger = new PprofMerger();
        merger.Add(b.Decoded(), 0);
        var merged = merger.Build();

        var sample = Assert.Single(merged.Sample);
        Assert.Empty(sample.Label);
        Assert.DoesNotContain("thread", merged.StringTable);
        Assert.DoesNotContain("c", merged.StringTable);
        Assert.True(StackTree.FromProfile(merged, 0).TreeEquals(TestTrees.Of(("a;b", 5))));
    }

    [Fact]
    public void Build_WithoutInputs_GivesPyroscopesStubProfile()
    {
        var merged = new PprofMerger().Build();

        Assert.Equal(("", ""), TypeOf(merged, merged.SampleType.Single()));
        Assert.NotNull(merged.PeriodType);
        Assert.Empty(merged.Sample);
        Assert.Equal([string.Empty], merged.StringTable);
    }

    [Fact]
    public void Build_OutputSurvivesTheDecoderUnchanged_AndTheMergerIsSingleUse()
    {
        var b = new ProfileBuilder(("samples", "count"));
        var f = b.Function("f");
        b.Sample([b.Location(b.Mapping("/lib.so"), 0x40, f, b.Function("g")), b.Location(0, 0x99)], 3);
        var merger = new PprofMerger();
        merger.Add(b.Decoded(), 0);
        var merged = merger.Build();

        Assert.Equal(merged, PprofDecoder.Decode(merged.ToByteArray()));
        Assert.Throws<ObjectDisposedException>(() => merger.Build());
        Assert.Throws<ObjectDisposedException>(() => merger.Add(b.Decoded(), 0));
    }

    private static (string, string) TypeOf(Profile profile, Protos.Pprof.ValueType type) =>
        (profile.StringTable[(int)type.Type], profile.StringTable[(int)type.Unit]);

    [Fact]
    public void Build_GivesTheSameBytes_WhateverTheOrderOfItsInputs()
    {
        string[] files = ["go-cpu.pb.gz", "go-cpu-2.pb.gz", "go-cpu-3.pb.gz", "go-cpu-4.pb.gz"];
        var profiles = files
            .Select(Dapr.Profiler.TestKit.Corpus.ReadProfile)
            .ToArray();
        byte[] Merge(IEnumerable<int> order)
        {
            var merger = new PprofMerger();
            foreach (var i in order)
            {
                merger.Add(PprofDecoder.Decode(profiles[i]), 1);
            }

            return Google.Protobuf.MessageExtensions.ToByteArray(merger.Build());
        }

        var expected = Merge([0, 1, 2, 3]);
        Assert.Equal(expected, Merge([3, 1, 0, 2]));
        Assert.Equal(expected, Merge([2, 3, 1, 0]));
        PprofDecoder.Decode(expected);
    }
}
