using System.Globalization;
using Dapr.Profiler.Model;

namespace Dapr.Profiler.Cli;

/// <summary><c>dprof inspect FILE</c>: what a profile holds, and where its time or memory goes.</summary>
internal static class InspectCommand
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static int Run(Arguments args, TextWriter output)
    {
        var file = ProfileFile.Load(args.RequiredPositional(0, "FILE"));
        var profile = file.Profile;
        var strings = profile.StringTable;
        output.WriteLine(string.Create(Inv, $"file:         {file.Path} ({file.Format}, {file.Bytes} bytes)"));
        var types = Enumerable.Range(0, profile.SampleType.Count).Select(i => $"{file.SampleTypeName(i)}/{file.SampleUnit(i)}");
        output.WriteLine(string.Create(Inv, $"sample types: {string.Join(", ", types)}"));
        if (profile.PeriodType is { } periodType)
        {
            output.WriteLine(string.Create(Inv, $"period:       {profile.Period} {strings[(int)periodType.Type]}/{strings[(int)periodType.Unit]}"));
        }
        else
        {
            output.WriteLine(string.Create(Inv, $"period:       {profile.Period}"));
        }

        output.WriteLine(string.Create(Inv, $"duration:     {TimeSpan.FromTicks(profile.DurationNanos / 100).TotalSeconds:0.###} s"));
        if (profile.TimeNanos > 0)
        {
            output.WriteLine(string.Create(Inv, $"time:         {DateTimeOffset.UnixEpoch.AddTicks(profile.TimeNanos / 100):yyyy-MM-ddTHH:mm:ss.fffZ}"));
        }

        output.WriteLine(string.Create(Inv, $"samples:      {profile.Sample.Count}"));
        output.WriteLine("totals:");
        for (var i = 0; i < profile.SampleType.Count; i++)
        {
            Int128 total = 0;
            foreach (var sample in profile.Sample)
            {
                total += sample.Value[i];
            }

            output.WriteLine(string.Create(Inv, $"  {file.SampleTypeName(i),-16} {total,20} {file.SampleUnit(i)}"));
        }

        if (profile.SampleType.Count == 0)
        {
            return 0;
        }

        var index = file.DefaultSampleTypeIndex();
        var tree = StackTree.FromProfile(profile, index);
        var top = SelfByFunction(tree).OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).Take(10).ToList();
        output.WriteLine(string.Create(Inv, $"top {top.Count} functions by self {file.SampleTypeName(index)} ({file.SampleUnit(index)}):"));
        output.WriteLine(string.Create(Inv, $"  {"self",20} {"self%",7}  function"));
        foreach (var (name, self) in top)
        {
            var share = tree.Total == 0 ? 0 : 100.0 * self / tree.Total;
            output.WriteLine(string.Create(Inv, $"  {self,20} {share,6:0.0}%  {name}"));
        }

        return 0;
    }

    /// <summary>Self value per function name, summed over every node of that name.</summary>
    internal static Dictionary<string, long> SelfByFunction(StackTree tree)
    {
        var result = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (path, self, _) in tree.Nodes())
        {
            if (self != 0 && path.Count > 0)
            {
                var name = path[^1];
                result[name] = result.GetValueOrDefault(name) + self;
            }
        }

        return result;
    }
}
