using Dapr.Profiler.Protos.Pprof;
using Google.Protobuf;
using ValueType = Dapr.Profiler.Protos.Pprof.ValueType;

namespace Dapr.Profiler.TestKit;

/// <summary>Small pprof profiles (raw bytes) that cost a server far more than their size, for the ingest bounds.</summary>
public static class HostileProfiles
{
    /// <summary>
    /// A CPU profile of one sample (value 1 ns) whose stack is one location of <paramref name="lines"/> inlined lines
    /// (functions <c>f0</c>, the innermost, to <c>f{lines-1}</c>, the outermost) referenced <paramref name="references"/>
    /// times: a few bytes per reference, <paramref name="lines"/> frames each once expanded.
    /// </summary>
    public static byte[] InlinedStack(int lines, int references, long timeNanos)
    {
        var profile = Cpu(timeNanos);
        var location = new Location { Id = 1, MappingId = 1, Address = 0x1000 };
        for (var i = 0; i < lines; i++)
        {
            profile.StringTable.Add("f" + i);
            profile.Function.Add(new Function { Id = (ulong)i + 1, Name = profile.StringTable.Count - 1 });
            location.Line.Add(new Line { FunctionId = (ulong)i + 1, Line_ = i + 1 });
        }

        profile.Location.Add(location);
        var sample = new Sample { Value = { 1 } };
        sample.LocationId.AddRange(Enumerable.Repeat(1UL, references));
        profile.Sample.Add(sample);
        return profile.ToByteArray();
    }

    /// <summary>A CPU profile with one sample per value, all on the stack <c>main</c>.</summary>
    public static byte[] Values(long timeNanos, params long[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var profile = Cpu(timeNanos);
        profile.StringTable.Add("main");
        profile.Function.Add(new Function { Id = 1, Name = profile.StringTable.Count - 1 });
        profile.Location.Add(new Location { Id = 1, MappingId = 1, Address = 0x1000, Line = { new Line { FunctionId = 1, Line_ = 1 } } });
        foreach (var value in values)
        {
            profile.Sample.Add(new Sample { LocationId = { 1 }, Value = { value } });
        }

        return profile.ToByteArray();
    }

    private static Profile Cpu(long timeNanos)
    {
        var profile = new Profile { TimeNanos = timeNanos, Period = 10_000_000 };
        profile.StringTable.Add(["", "cpu", "nanoseconds", "/bin/app"]);
        profile.SampleType.Add(new ValueType { Type = 1, Unit = 2 });
        profile.PeriodType = new ValueType { Type = 1, Unit = 2 };
        profile.Mapping.Add(new Mapping { Id = 1, Filename = 3, MemoryStart = 0x1000, MemoryLimit = 0x9000 });
        return profile;
    }
}
