using System.Globalization;
using System.Text;
using Dapr.Profiler.Model;
using Dapr.Profiler.Protos.Pprof;

namespace Dapr.Profiler.QueryFrontend;

/// <summary>
/// A Graphviz call graph of a merged pprof profile, in the spirit of <c>pprof -dot</c>: one node per function
/// (flat and cumulative value), one edge per caller → callee pair weighted by the value flowing through it. Only
/// the <c>maxNodes</c> functions with the largest cumulative value are drawn.
/// </summary>
internal static class DotWriter
{
    /// <summary>Nodes drawn when a request gives no <c>max_nodes</c> (Pyroscope: 100).</summary>
    public const long DefaultMaxNodes = 100;

    /// <summary>The least number of nodes the source pprof is asked with (Pyroscope: 512).</summary>
    public const long SourceMaxNodes = 512;

    public static string Write(Profile profile, int maxNodes)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var functions = profile.Function.ToDictionary(f => f.Id, f => Str(profile, f.Name));
        var locations = profile.Location.ToDictionary(
            l => l.Id, l => l.Line.Select(line => functions.GetValueOrDefault(line.FunctionId, "?")).Reverse().ToArray());
        var flat = new Dictionary<string, long>(StringComparer.Ordinal);
        var cum = new Dictionary<string, long>(StringComparer.Ordinal);
        var edges = new Dictionary<(string From, string To), long>();
        long total = 0;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var seenEdges = new HashSet<(string, string)>();
        foreach (var sample in profile.Sample)
        {
            var value = sample.Value.Count > 0 ? sample.Value[0] : 0;
            if (value == 0)
            {
                continue;
            }

            // pprof lists the leaf first; a location's lines are inlined frames, the last one the caller.
            var frames = sample.LocationId.SelectMany(id => locations.GetValueOrDefault(id, ["?"])).ToArray();
            if (frames.Length == 0)
            {
                continue;
            }

            total = SaturatingMath.Add(total, value);
            flat[frames[0]] = SaturatingMath.Add(flat.GetValueOrDefault(frames[0]), value);
            seen.Clear();
            seenEdges.Clear();
            for (var i = 0; i < frames.Length; i++)
            {
                if (seen.Add(frames[i]))
                {
                    cum[frames[i]] = SaturatingMath.Add(cum.GetValueOrDefault(frames[i]), value);
                }

                if (i + 1 < frames.Length && seenEdges.Add((frames[i + 1], frames[i])))
                {
                    edges[(frames[i + 1], frames[i])] = SaturatingMath.Add(edges.GetValueOrDefault((frames[i + 1], frames[i])), value);
                }
            }
        }

        var kept = cum.OrderByDescending(c => c.Value).ThenBy(c => c.Key, StringComparer.Ordinal).Take(Math.Max(maxNodes, 1)).ToList();
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        var typeName = profile.SampleType.Count > 0 ? Str(profile, profile.SampleType[0].Type) : "samples";
        var unit = profile.SampleType.Count > 0 ? Str(profile, profile.SampleType[0].Unit) : "count";
        var shown = kept.Aggregate(0L, (sum, k) => SaturatingMath.Add(sum, flat.GetValueOrDefault(k.Key)));
        var dot = new StringBuilder();
        dot.Append("digraph \"unnamed\" {\n");
        dot.Append("node [style=filled fillcolor=\"#f8f8f8\"]\n");
        dot.Append(CultureInfo.InvariantCulture, $"subgraph cluster_L {{ \"Type: {Escape(typeName)}\" [shape=box fontsize=16 label=\"Type: {Escape(typeName)}\\lUnit: {Escape(unit)}\\lShowing nodes accounting for {shown}, {Percent(shown, total)} of {total} total\\l\"] }}\n");
        foreach (var (name, value) in kept)
        {
            var id = ids.Count + 1;
            ids[name] = id;
            var self = flat.GetValueOrDefault(name);
            var size = 8 + (int)(16 * (total == 0 ? 0 : (double)self / total));
            dot.Append(CultureInfo.InvariantCulture, $"N{id} [label=\"{Escape(name)}\\n{self} ({Percent(self, total)})\\nof {value} ({Percent(value, total)})\" fontsize={size} shape=box]\n");
        }

        foreach (var ((from, to), value) in edges.OrderByDescending(e => e.Value).ThenBy(e => e.Key.From, StringComparer.Ordinal).ThenBy(e => e.Key.To, StringComparer.Ordinal))
        {
            if (ids.TryGetValue(from, out var a) && ids.TryGetValue(to, out var b))
            {
                dot.Append(CultureInfo.InvariantCulture, $"N{a} -> N{b} [label=\" {value}\" weight={Math.Max(1, (int)(100 * (total == 0 ? 0 : (double)value / total)))}]\n");
            }
        }

        return dot.Append("}\n").ToString();
    }

    private static string Str(Profile profile, long index) =>
        (ulong)index < (ulong)profile.StringTable.Count ? profile.StringTable[(int)index] : string.Empty;

    private static string Percent(long part, long whole) =>
        whole == 0 ? "0%" : ((double)part / whole).ToString("0.##%", CultureInfo.InvariantCulture);

    private static string Escape(string text) => text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal);
}
