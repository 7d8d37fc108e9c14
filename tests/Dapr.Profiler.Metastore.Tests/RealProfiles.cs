using Dapr.Profiler.Model;
using Dapr.Profiler.Protos.Pprof;
using ValueType = Dapr.Profiler.Protos.Pprof.ValueType;

namespace Dapr.Profiler.Metastore.Tests;

/// <summary>Minimal normalised CPU profiles, labelled the way the distributor labels series, for the real BlockWriter.</summary>
internal static class RealProfiles
{
    private static readonly ProfileTypeId Cpu = new("process_cpu", "cpu", "nanoseconds", "cpu", "nanoseconds");

    public static ProfileSeries Series(string service, DateTimeOffset time, params (string Name, string Value)[] labels)
    {
        var profile = new Profile();
        profile.StringTable.Add(["", "cpu", "nanoseconds", "main", "work"]);
        profile.SampleType.Add(new ValueType { Type = 1, Unit = 2 });
        profile.PeriodType = new ValueType { Type = 1, Unit = 2 };
        profile.Period = 10_000_000;
        profile.Function.Add(new Function { Id = 1, Name = 3 });
        profile.Function.Add(new Function { Id = 2, Name = 4 });
        profile.Location.Add(new Location { Id = 1, Line = { new Line { FunctionId = 1 } } });
        profile.Location.Add(new Location { Id = 2, Line = { new Line { FunctionId = 2 } } });
        profile.Sample.Add(new Sample { LocationId = { 2, 1 }, Value = { 100 } });
        profile.TimeNanos = time.ToUnixTimeMilliseconds() * 1_000_000;

        var pairs = new List<LabelPair>
        {
            new(LabelNames.ServiceName, service),
            new(LabelNames.ServiceNameCopy, service),
            new(LabelNames.MetricName, Cpu.Name),
            new(LabelNames.Type, Cpu.SampleType),
            new(LabelNames.Unit, Cpu.SampleUnit),
            new(LabelNames.PeriodType, Cpu.PeriodType),
            new(LabelNames.PeriodUnit, Cpu.PeriodUnit),
            new(LabelNames.ProfileType, Cpu.Id),
        };
        pairs.AddRange(labels.Select(l => new LabelPair(l.Name, l.Value)));
        return new ProfileSeries(LabelSet.Create(pairs), Cpu, profile, 0, profile.TimeNanos);
    }
}
