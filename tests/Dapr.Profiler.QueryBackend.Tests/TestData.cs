using Dapr.Profiler.Model;
using Dapr.Profiler.Protos.Block;
using Dapr.Profiler.Protos.Pprof;
using Dapr.Profiler.Protos.QueryBackend;
using Dapr.Profiler.TestKit;

namespace Dapr.Profiler.QueryBackend.Tests;

/// <summary>Corpus profiles turned into series the way the distributor does, and their independent expectations.</summary>
internal static class CorpusSeries
{
    public const string Tenant = "anonymous";
    public const string CpuType = "process_cpu:cpu:nanoseconds:cpu:nanoseconds";

    /// <summary>2023-11-14T22:13:20Z: the base time of the tests' profiles.</summary>
    public const long T0 = 1_700_000_000_000;

    public static readonly string[] GoCpuFiles = ["go-cpu.pb.gz", "go-cpu-2.pb.gz", "go-cpu-3.pb.gz", "go-cpu-4.pb.gz"];

    /// <summary>
    /// Decodes a corpus profile, labels it like <c>/ingest?name=<paramref name="ingestName"/>&amp;spyName=gospy</c>
    /// and normalises it into series, taken at <paramref name="timestampMs"/> (+ <paramref name="extraNanos"/>).
    /// </summary>
    public static IReadOnlyList<ProfileSeries> Load(string file, string ingestName, long timestampMs, long extraNanos = 0)
    {
        var profile = PprofDecoder.Decode(Corpus.ReadProfile(file));
        profile.TimeNanos = (timestampMs * 1_000_000) + extraNanos;
        var labels = IngestLabels.ForPprof(profile, IngestName.Parse(ingestName), "gospy", null);
        return SeriesNormalizer.Default.Normalize(profile, labels, 0, DateTimeOffset.UtcNow);
    }

    /// <summary>The call tree of one sample type of a corpus file, built straight from the pprof.</summary>
    public static StackTree FileTree(string file, string sampleType)
    {
        var profile = PprofDecoder.Decode(Corpus.ReadProfile(file));
        return StackTree.FromProfile(profile, SampleTypeIndex(profile, sampleType));
    }

    /// <summary>The merge of the trees of several files.</summary>
    public static StackTree MergedTree(string sampleType, params IEnumerable<string> files)
    {
        var tree = new StackTree();
        foreach (var file in files)
        {
            tree.Merge(FileTree(file, sampleType));
        }

        return tree;
    }

    /// <summary>The total of one sample type, as the independent reader found it.</summary>
    public static long Total(string file, string sampleType) => Corpus.Expect(file).Totals[sampleType];

    public static int SampleTypeIndex(Profile profile, string sampleType)
    {
        for (var i = 0; i < profile.SampleType.Count; i++)
        {
            if (profile.StringTable[(int)profile.SampleType[i].Type] == sampleType)
            {
                return i;
            }
        }

        throw new ArgumentException($"no sample type {sampleType}", nameof(sampleType));
    }
}

/// <summary>Builds plans, queries and requests.</summary>
internal static class Plans
{
    public static PlanNode Read(params IEnumerable<BlockMeta> blocks)
    {
        var node = new PlanNode { Type = PlanNode.Types.Type.Read };
        node.Blocks.AddRange(blocks);
        return node;
    }

    public static PlanNode Merge(params IEnumerable<PlanNode> children)
    {
        var node = new PlanNode { Type = PlanNode.Types.Type.Merge };
        node.Children.AddRange(children);
        return node;
    }

    public static Query Tree(long maxNodes = 0, params IEnumerable<string> callSite)
    {
        var tree = new TreeQuery { MaxNodes = maxNodes };
        tree.CallSite.AddRange(callSite);
        return new Query { Type = QueryType.Tree, Tree = tree };
    }

    public static Query TimeSeries(double stepSeconds, params IEnumerable<string> groupBy)
    {
        var query = new TimeSeriesQuery { Step = stepSeconds };
        query.GroupBy.AddRange(groupBy);
        return new Query { Type = QueryType.TimeSeries, TimeSeries = query };
    }

    public static Query Pprof(params IEnumerable<string> callSite)
    {
        var query = new PprofQuery();
        query.CallSite.AddRange(callSite);
        return new Query { Type = QueryType.Pprof, Pprof = query };
    }

    public static Query LabelNames() => new() { Type = QueryType.LabelNames, Labels = new LabelQuery() };

    public static Query LabelValues(string name) => new() { Type = QueryType.LabelValues, Labels = new LabelQuery { Name = name } };

    public static Query SeriesLabels(params IEnumerable<string> names)
    {
        var query = new LabelQuery();
        query.LabelNames.AddRange(names);
        return new Query { Type = QueryType.SeriesLabels, Labels = query };
    }

    /// <summary>The selector of the CPU profile type of one service.</summary>
    public static string Cpu(string service, string extra = "") =>
        $"{{service_name=\"{service}\", __profile_type__=\"{CorpusSeries.CpuType}\"{(extra.Length > 0 ? ", " + extra : string.Empty)}}}";

    public static InvokeRequest Request(PlanNode plan, string selector, long start, long end, params IEnumerable<Query> queries) =>
        Request(plan, selector, start, end, [CorpusSeries.Tenant], queries);

    public static InvokeRequest Request(
        PlanNode plan, string selector, long start, long end, IEnumerable<string> tenants, IEnumerable<Query> queries)
    {
        var request = new InvokeRequest { StartTime = start, EndTime = end, LabelSelector = selector, Plan = plan };
        request.TenantId.AddRange(tenants);
        request.Query.AddRange(queries);
        return request;
    }
}
