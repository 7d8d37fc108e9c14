using Dapr.Profiler.Protos.QueryBackend;
using WireLabelPair = Dapr.Profiler.Protos.Types.LabelPair;

namespace Dapr.Profiler.QueryFrontend.Tests;

/// <summary>Builds query-backend reports for the fake backend.</summary>
internal static class Reports
{
    /// <summary>A tree report from folded stacks such as <c>("main;foo", 60)</c>, in the backend's wire form.</summary>
    public static TreeReport Tree(params (string Stack, long Value)[] stacks)
    {
        var report = new TreeReport();
        report.Names.Add(string.Empty);
        report.Parent.Add(-1);
        report.Name.Add(0);
        report.Self.Add(0);
        var children = new Dictionary<(int Parent, string Name), int>();
        foreach (var (stack, value) in stacks)
        {
            var node = 0;
            foreach (var frame in stack.Split(';'))
            {
                if (!children.TryGetValue((node, frame), out var child))
                {
                    child = report.Parent.Count;
                    var nameIndex = report.Names.IndexOf(frame);
                    if (nameIndex < 0)
                    {
                        nameIndex = report.Names.Count;
                        report.Names.Add(frame);
                    }

                    report.Parent.Add(node);
                    report.Name.Add(nameIndex);
                    report.Self.Add(0);
                    children.Add((node, frame), child);
                }

                node = child;
            }

            report.Self[node] += value;
        }

        return report;
    }

    /// <summary>One series of (timestamp, sum, count) buckets with the given labels.</summary>
    public static SeriesPoints Series(IEnumerable<(string Name, string Value)> labels, params (long Timestamp, double Sum, long Count)[] buckets)
    {
        var series = new SeriesPoints();
        series.Labels.AddRange(labels.Select(l => new WireLabelPair { Name = l.Name, Value = l.Value }));
        foreach (var (timestamp, sum, count) in buckets)
        {
            series.Timestamp.Add(timestamp);
            series.Sum.Add(sum);
            series.Count.Add(count);
        }

        return series;
    }
}
