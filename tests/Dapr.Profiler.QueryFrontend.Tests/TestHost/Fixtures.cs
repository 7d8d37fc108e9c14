using Dapr.Profiler.Protos.Pprof;
using Dapr.Profiler.Protos.QueryBackend;
using Dapr.Profiler.Protos.Types;

namespace Dapr.Profiler.QueryFrontend.Tests;

/// <summary>Shared test data: a time range aligned to 15 s, profile types and canned backend answers.</summary>
internal static class Fixtures
{
    /// <summary>2023-11-14T22:13:30Z in ms, a multiple of 15 s.</summary>
    public const long Start = 1_700_000_010_000;

    public const long End = Start + 3_600_000;

    public const string Cpu = "process_cpu:cpu:nanoseconds:cpu:nanoseconds";

    public const string AllocSpace = "memory:alloc_space:bytes:space:bytes";

    /// <summary>The reference example: <c>main;foo 60</c> and <c>main;bar 40</c>.</summary>
    public static TreeReport ExampleTree() => Reports.Tree(("main;foo", 60), ("main;bar", 40));

    /// <summary>The example's flame graph in protojson, as the reference spells it.</summary>
    public const string ExampleFlameGraphJson =
        "{\"flamegraph\":{\"names\":[\"total\",\"main\",\"foo\",\"bar\"],\"levels\":[{\"values\":[\"0\",\"100\",\"0\",\"0\"]},"
        + "{\"values\":[\"0\",\"100\",\"0\",\"1\"]},{\"values\":[\"0\",\"40\",\"40\",\"3\",\"0\",\"60\",\"60\",\"2\"]}],\"total\":\"100\",\"maxSelf\":\"60\"}}";

    /// <summary>A merged pprof with <c>main;foo 60</c> and <c>main 40</c>.</summary>
    public static Profile ExampleProfile()
    {
        var profile = new Profile();
        profile.StringTable.AddRange(["", "cpu", "nanoseconds", "main", "foo"]);
        profile.SampleType.Add(new Protos.Pprof.ValueType { Type = 1, Unit = 2 });
        profile.Function.Add(new Function { Id = 1, Name = 3 });
        profile.Function.Add(new Function { Id = 2, Name = 4 });
        profile.Location.Add(new Protos.Pprof.Location { Id = 1, Line = { new Line { FunctionId = 1 } } });
        profile.Location.Add(new Protos.Pprof.Location { Id = 2, Line = { new Line { FunctionId = 2 } } });
        profile.Sample.Add(new Sample { LocationId = { 2, 1 }, Value = { 60 } });
        profile.Sample.Add(new Sample { LocationId = { 1 }, Value = { 40 } });
        return profile;
    }

    public static ProfileType Type(string id)
    {
        var parts = id.Split(':');
        return new ProfileType { ID = id, Name = parts[0], SampleType = parts[1], SampleUnit = parts[2], PeriodType = parts[3], PeriodUnit = parts[4] };
    }

    /// <summary>A host with three blocks, the example tree and a few canned answers.</summary>
    public static async Task<FrontendHost> StartWithDataAsync(IReadOnlyDictionary<string, string?>? settings = null)
    {
        var host = await FrontendHost.StartAsync(settings);
        host.Metastore.AddBlocks(3);
        host.Backend.Tree = ExampleTree();
        host.Backend.Pprof = ExampleProfile();
        host.Backend.TimeSeries = new TimeSeriesReport
        {
            Series =
            {
                Reports.Series([("pod", "a")], (Start, 10, 1), (Start + 15_000, 30, 3)),
                Reports.Series([("pod", "b")], (Start, 5, 1)),
            },
        };
        host.Backend.Labels = new LabelReport { Names = { "zeta", "alpha" } };
        host.Metastore.ProfileTypes.ProfileTypes.Add(Type(Cpu));
        host.Metastore.ProfileTypes.ProfileTypes.Add(Type(AllocSpace));
        host.Metastore.LabelNames.Names.AddRange(["__name__", "__profile_type__", "pod", "service_name"]);
        host.Metastore.LabelValues.Names.AddRange(["api", "web"]);
        host.Metastore.SeriesLabels.LabelsSet.Add(new Labels { Labels_ = { new LabelPair { Name = "service_name", Value = "api" } } });
        host.Metastore.TenantStats = new Protos.Metastore.TenantStatsResponse { DataIngested = true, OldestProfileTime = Start, NewestProfileTime = End };
        return host;
    }
}
