using Dapr.Profiler.Model;
using Google.Protobuf;
using static Dapr.Profiler.QueryBackend.Tests.CorpusSeries;

namespace Dapr.Profiler.QueryBackend.Tests;

public sealed class PprofAndLabelQueryTests
{
    [Fact]
    public async Task Pprof_MergesAcrossBlocksAndDatasets_KeepsTotals_AndReDecodes()
    {
        using var cluster = new TestCluster();
        var b1 = await cluster.WriteSegmentAsync(Tenant, Load("go-cpu.pb.gz", "svc{env=a}", T0), Load("go-cpu-2.pb.gz", "svc{env=b}", T0 + 5000));
        var b2 = await cluster.WriteSegmentAsync(Tenant, Load("go-cpu-3.pb.gz", "svc", T0 + 10_000), Load("go-cpu-4.pb.gz", "other", T0));
        var plan = Plans.Merge(Plans.Read(b1), Plans.Merge(Plans.Read(b2)));
        string[] files = ["go-cpu.pb.gz", "go-cpu-2.pb.gz", "go-cpu-3.pb.gz"];

        var response = await cluster.InvokeAsync(Plans.Request(plan, Plans.Cpu("svc"), T0, T0 + 60_000, Plans.Pprof()));

        var merged = response.Reports[0].Pprof;
        var decoded = PprofDecoder.Decode(merged.ToByteArray());
        Assert.Equal(("cpu", "nanoseconds"), (decoded.StringTable[(int)decoded.SampleType[0].Type], decoded.StringTable[(int)decoded.SampleType[0].Unit]));
        Assert.Equal(("cpu", "nanoseconds"), (decoded.StringTable[(int)decoded.PeriodType.Type], decoded.StringTable[(int)decoded.PeriodType.Unit]));
        Assert.Equal(files.Sum(f => Total(f, "cpu")), decoded.Sample.Sum(s => s.Value[0]));
        Assert.Equal(T0 * 1_000_000, decoded.TimeNanos);
        var tree = StackTree.FromProfile(decoded, 0);
        Assert.True(MergedTree("cpu", files).TreeEquals(tree), tree.ToString());
    }

    [Fact]
    public async Task Pprof_WithACallSite_KeepsOnlyThoseStacks_AndWithoutData_IsAStub()
    {
        using var cluster = new TestCluster();
        var block = await cluster.WriteSegmentAsync(Tenant, Load("go-cpu.pb.gz", "svc", T0), Load("go-cpu-2.pb.gz", "svc", T0 + 1));
        var full = MergedTree("cpu", "go-cpu.pb.gz", "go-cpu-2.pb.gz");
        var deepest = full.Nodes().Where(n => n.Path.Count == 3).MaxBy(n => n.Total);
        string[] callSite = [.. deepest.Path];

        var response = await cluster.InvokeAsync(
            Plans.Request(Plans.Merge(Plans.Read(block)), Plans.Cpu("svc"), T0, T0 + 1, Plans.Pprof(callSite), Plans.Pprof()));

        var filtered = StackTree.FromProfile(PprofDecoder.Decode(response.Reports[0].Pprof.ToByteArray()), 0);
        Assert.Equal(deepest.Total, filtered.Total);
        Assert.True(TreeReports.KeepCallSite(full, callSite).TreeEquals(filtered));
        Assert.Equal(full.Total, response.Reports[1].Pprof.Sample.Sum(s => s.Value[0]));

        var empty = await cluster.InvokeAsync(Plans.Request(Plans.Read(block), Plans.Cpu("nobody"), T0, T0 + 1, Plans.Pprof()));
        Assert.Empty(empty.Reports[0].Pprof.Sample);
        Assert.Equal(0, empty.Stats.DatasetsRead);
    }

    [Fact]
    public async Task LabelQueries_AnswerFromTheSeriesIndexOfMatchingSeriesInTheTimeRange()
    {
        using var cluster = new TestCluster();
        var a = Load("go-cpu.pb.gz", "svc{env=a,region=eu}", T0);
        var b = Load("go-cpu-2.pb.gz", "svc{env=b}", T0 + 1000);
        var c = Load("go-cpu-3.pb.gz", "svc{env=c}", T0 + 5000);
        var other = Load("go-heap.pb.gz", "other{env=z}", T0);
        var b1 = await cluster.WriteSegmentAsync(Tenant, a, other);
        var b2 = await cluster.WriteSegmentAsync(Tenant, b, c);
        var plan = Plans.Merge(Plans.Read(b1), Plans.Read(b2));

        var response = await cluster.InvokeAsync(Plans.Request(
            plan,
            "{service_name=\"svc\"}",
            T0,
            T0 + 1000,
            Plans.LabelNames(),
            Plans.LabelValues("env"),
            Plans.SeriesLabels("service_name", "env"),
            Plans.SeriesLabels()));

        var expectedNames = a.Concat(b).SelectMany(s => s.Labels).Select(l => l.Name).Distinct().Order(StringComparer.Ordinal).ToArray();
        Assert.Contains("region", expectedNames);
        Assert.Contains(LabelNames.ProfileType, expectedNames);
        Assert.Equal(expectedNames, response.Reports[0].Labels.Names.ToArray());
        Assert.Equal(["a", "b"], response.Reports[1].Labels.Names.ToArray());

        var projected = response.Reports[2].Labels.LabelsSet.Select(l => string.Join(",", l.Labels_.Select(p => $"{p.Name}={p.Value}"))).ToArray();
        Assert.Equal(["env=a,service_name=svc", "env=b,service_name=svc"], projected);

        var all = response.Reports[3].Labels.LabelsSet
            .Select(l => LabelSet.Create(l.Labels_.Select(p => new Model.LabelPair(p.Name, p.Value))))
            .ToHashSet();
        Assert.Equal(a.Concat(b).Select(s => s.Labels).ToHashSet(), all);
    }
}
