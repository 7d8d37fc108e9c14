using System.Globalization;
using System.Text;
using Dapr.Profiler.Protos.Querier;
using Dapr.Profiler.Protos.Types;

namespace Dapr.Profiler.Cli.Chaos;

/// <summary>Abusive selectors: thousands of matchers, very long selectors, bad regexes, unicode.</summary>
internal static class SelectorAbuse
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static ChaosRequest Generate(ChaosContext context)
    {
        var random = context.Random;
        var end = context.NowSeconds * 1000;
        var start = end - 3_600_000;
        if (random.Next(6) == 0)
        {
            // Thousands of matcher strings in one Series request.
            var repeated = context.Pick(1_000, 5_000);
            var series = new SeriesRequest { Start = start, End = end };
            series.Matchers.AddRange(Enumerable.Repeat("{a=~\"[[:alpha:]]\"}", repeated));
            return QuerierCalls.Call(context, "Series", series, $"Series with {repeated} matchers {{a=~\"[[:alpha:]]\"}}");
        }

        var (selector, what) = Selector(context);
        var profileType = QuerierCalls.CpuType;
        switch (random.Next(7))
        {
            case 0:
                var series = new SeriesRequest { Start = start, End = end };
                series.Matchers.Add(selector);
                return QuerierCalls.Call(context, "Series", series, "Series, " + what);
            case 1:
                return QuerierCalls.Call(context, "SelectMergeStacktraces", new SelectMergeStacktracesRequest { ProfileTypeID = profileType, LabelSelector = selector, Start = start, End = end }, "SelectMergeStacktraces, " + what);
            case 2:
                return QuerierCalls.Call(context, "SelectSeries", new SelectSeriesRequest { ProfileTypeID = profileType, LabelSelector = selector, Start = start, End = end, Step = 15 }, "SelectSeries, " + what);
            case 3:
                var values = new LabelValuesRequest { Name = "service_name", Start = start, End = end };
                values.Matchers.Add(selector);
                return QuerierCalls.Call(context, "LabelValues", values, "LabelValues, " + what);
            case 4:
                var names = new LabelNamesRequest { Start = start, End = end };
                names.Matchers.Add(selector);
                return QuerierCalls.Call(context, "LabelNames", names, "LabelNames, " + what);
            case 5:
                return QuerierCalls.Call(context, "SelectMergeProfile", new SelectMergeProfileRequest { ProfileTypeID = profileType, LabelSelector = selector, Start = start, End = end }, "SelectMergeProfile, " + what);
            default:
                var query = Uri.EscapeDataString(profileType + selector);
                if (query.Length > 512 * 1024)
                {
                    // Past the server's 1 MiB request line Kestrel answers a bare 414 before any API runs; such a
                    // selector is tried in a request body instead.
                    return QuerierCalls.Call(context, "SelectMergeStacktraces", new SelectMergeStacktracesRequest { ProfileTypeID = profileType, LabelSelector = selector, Start = start, End = end }, "SelectMergeStacktraces, " + what);
                }

                return context.Get(string.Create(Inv, $"/pyroscope/render?query={query}&from={start}&until={end}"), "render, " + what);
        }
    }

    private static (string Selector, string What) Selector(ChaosContext context)
    {
        var service = context.Service();
        switch (context.Random.Next(8))
        {
            case 0:
                var count = context.Pick(1_000, 5_000);
                var many = new StringBuilder("{");
                for (var i = 0; i < count; i++)
                {
                    many.Append(i == 0 ? string.Empty : ",").Append("a=~\"[[:alpha:]]\"");
                }

                return (many.Append('}').ToString(), $"one selector with {count} matchers");
            case 1:
                return ("{service_name=\"" + new string('v', context.Pick(10_000, 1_000_000)) + "\"}", "very long value");
            case 2:
                return ("{service_name=~\"" + context.Pick("(", "[", "*", "a{2,1}", "(?<x", "\\", "[[:nope:]]", "(a*)*b", "(a|a)*$", "((((((((((a))))))))))*", ".{1000000}") + "\"}", "bad or costly regex");
            case 3:
                return (context.Pick("{ä=\"ö\"}", "{service_name=\"\U0001F525\"}", "{service_name=\"\uFFFD\u0000\"}", "{\u202Eservice_name=\"x\"}", "{service_name=\"a\u2028b\"}"), "unicode");
            case 4:
                return (context.Pick("", "{", "}", "{{}}", "{service_name}", "{service_name=}", "{=\"x\"}", "{service_name=\"x\"", "{service_name==\"x\"}", "{service_name!~\"\"}", "{service_name=\"x\",}", "service_name=\"x\""), "malformed");
            case 5:
                return ("{" + string.Join(',', Enumerable.Range(0, 200).Select(i => $"l{i}!~\".*{i}.*\"")) + "}", "200 negative regex matchers");
            case 6:
                return ("{service_name=~\"" + string.Join('|', Enumerable.Range(0, context.Pick(1_000, 20_000)).Select(i => service + i.ToString(Inv))) + "\"}", "huge alternation");
            default:
                return ("{service_name=\"" + service + "\"," + new string('k', 5_000) + "=\"v\"}", "long label name");
        }
    }
}
