using System.Globalization;
using Dapr.Profiler.Block;
using Dapr.Profiler.Mesh;
using Dapr.Profiler.Model;
using Dapr.Profiler.Protos.Pprof;
using Dapr.Profiler.Protos.QueryBackend;

namespace Dapr.Profiler.QueryBackend;

/// <summary>
/// PPROF: one merged pprof (one sample type) of the selected series, through <see cref="PprofMerger"/>. Every
/// selected series must have the same profile type (the frontend puts <c>__profile_type__</c> in the selector);
/// otherwise the query fails with InvalidArgument. Empty inputs are skipped, so a query without data answers with
/// <see cref="PprofMerger"/>'s stub profile. <c>max_nodes</c> is not applied to pprof output.
/// </summary>
internal sealed class PprofAggregator(InvocationScope scope, PprofQuery query) : QueryAggregator(scope, QueryType.Pprof)
{
    private readonly Lock _gate = new();
    private readonly PprofMerger _merger = new();
    private (string Type, string Unit)? _sampleType;

    public override void AddDataset(DatasetReader dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        Profile profile;
        try
        {
            profile = dataset.BuildPprof(Scope.Filter, Scope.StartMs, Scope.EndMs);
        }
        catch (InvalidOperationException ex)
        {
            throw new ServiceException(ServiceStatus.InvalidArgument, $"dataset {dataset.Tenant}/{dataset.ServiceName}: {ex.Message}", ex);
        }

        PprofCallSite.Keep(profile, query.CallSite);
        Add(profile, child: false);
    }

    public override void AddReport(Report report)
    {
        ArgumentNullException.ThrowIfNull(report);
        if (report.Pprof is { } profile)
        {
            Add(profile, child: true);
        }
    }

    public override Report Build()
    {
        lock (_gate)
        {
            return new Report { Type = QueryType.Pprof, Pprof = _merger.Build() };
        }
    }

    private void Add(Profile profile, bool child)
    {
        if (profile.SampleType.Count == 0 || profile.Sample.Count == 0)
        {
            return;
        }

        var type = SampleType(profile);
        lock (_gate)
        {
            if (_sampleType is { } first && first != type)
            {
                throw new ServiceException(
                    ServiceStatus.InvalidArgument,
                    $"the selected series have different sample types ({first.Type}/{first.Unit} and {type.Type}/{type.Unit}); select one profile type for a pprof");
            }

            try
            {
                _merger.Add(profile, 0);
            }
            catch (ArgumentException ex) when (child)
            {
                throw Malformed("pprof", ex);
            }

            _sampleType = type;
        }
    }

    private static (string Type, string Unit) SampleType(Profile profile)
    {
        var strings = profile.StringTable;
        var sampleType = profile.SampleType[0];
        return (At(strings, sampleType.Type), At(strings, sampleType.Unit));

        static string At(IList<string> strings, long index) => (ulong)index < (ulong)strings.Count ? strings[(int)index] : string.Empty;
    }
}

/// <summary>The call-site filter on a pprof: keeps the samples whose stack starts (root first) with the given frames.</summary>
internal static class PprofCallSite
{
    /// <summary>Removes, in place, the samples whose frames do not start with <paramref name="callSite"/>.</summary>
    /// <remarks>Frames are named as in <see cref="StackTree.FromProfile"/>: function name, else system name, else
    /// <see cref="StackTree.UnknownFunctionName"/>; a location without lines is named by its address.</remarks>
    public static void Keep(Profile profile, IReadOnlyList<string> callSite)
    {
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(callSite);
        if (callSite.Count == 0 || profile.Sample.Count == 0)
        {
            return;
        }

        var locations = profile.Location.ToDictionary(l => l.Id);
        var functions = profile.Function.ToDictionary(f => f.Id);
        var kept = profile.Sample.Where(s => StartsWith(s, callSite, locations, functions, profile.StringTable)).ToList();
        profile.Sample.Clear();
        profile.Sample.AddRange(kept);
    }

    private static bool StartsWith(
        Sample sample,
        IReadOnlyList<string> callSite,
        Dictionary<ulong, Location> locations,
        Dictionary<ulong, Function> functions,
        IList<string> strings)
    {
        var matched = 0;
        for (var i = sample.LocationId.Count - 1; i >= 0; i--)
        {
            if (!locations.TryGetValue(sample.LocationId[i], out var location))
            {
                return false;
            }

            if (location.Line.Count == 0)
            {
                if (!Matches(string.Create(CultureInfo.InvariantCulture, $"0x{location.Address:x}"), callSite, ref matched))
                {
                    return false;
                }
            }

            for (var k = location.Line.Count - 1; k >= 0; k--)
            {
                if (!Matches(FunctionName(location.Line[k].FunctionId, functions, strings), callSite, ref matched))
                {
                    return false;
                }
            }

            if (matched == callSite.Count)
            {
                return true;
            }
        }

        return matched == callSite.Count;
    }

    /// <summary>Compares the next frame while the call site is not fully matched; false on a mismatch.</summary>
    private static bool Matches(string frame, IReadOnlyList<string> callSite, ref int matched)
    {
        if (matched == callSite.Count)
        {
            return true;
        }

        if (!string.Equals(frame, callSite[matched], StringComparison.Ordinal))
        {
            return false;
        }

        matched++;
        return true;
    }

    private static string FunctionName(ulong id, Dictionary<ulong, Function> functions, IList<string> strings)
    {
        if (functions.TryGetValue(id, out var function))
        {
            if ((ulong)function.Name < (ulong)strings.Count && strings[(int)function.Name].Length > 0)
            {
                return strings[(int)function.Name];
            }

            if ((ulong)function.SystemName < (ulong)strings.Count && strings[(int)function.SystemName].Length > 0)
            {
                return strings[(int)function.SystemName];
            }
        }

        return StackTree.UnknownFunctionName;
    }
}
