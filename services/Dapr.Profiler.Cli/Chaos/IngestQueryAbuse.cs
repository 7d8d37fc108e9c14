using System.Globalization;
using System.Text;

namespace Dapr.Profiler.Cli.Chaos;

/// <summary>Bad <c>/ingest</c> query strings (names, labels, from/until, formats, units) around a valid body.</summary>
internal static class IngestQueryAbuse
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static ChaosRequest Generate(ChaosContext context)
    {
        var random = context.Random;
        var service = context.Service();
        var now = context.NowSeconds;
        var name = Uri.EscapeDataString(service + "{env=chaos}");
        var from = now.ToString(Inv);
        var format = "pprof";
        var extra = string.Empty;
        string description;
        switch (random.Next(16))
        {
            case 0:
                name = context.Pick(string.Empty, "%7B", "%7D", "%7B%7D", Uri.EscapeDataString("{a=b}"), Uri.EscapeDataString(service + "{"), Uri.EscapeDataString(service + "{a=b"));
                description = "bad application name";
                break;
            case 1:
                name = Uri.EscapeDataString(service + "{" + string.Join(',', Enumerable.Range(0, context.Pick(31, 100, 5_000)).Select(i => $"l{i}=v")) + "}");
                description = "too many labels";
                break;
            case 2:
                name = Uri.EscapeDataString(service + "{" + context.Pick("1bad=v", "bad-name=v", "a b=v", "=v", "a=", "__name__=x", "service_name=other", "a=b,a=c", "ä=ö", "a=\"q\"") + "}");
                description = "bad label";
                break;
            case 3:
                name = Uri.EscapeDataString(service + "{k=" + new string('v', context.Pick(2_049, 100_000)) + "}");
                description = "label value too long";
                break;
            case 4:
                name = Uri.EscapeDataString(service + "{" + new string('k', context.Pick(1_025, 50_000)) + "=v}");
                description = "label name too long";
                break;
            case 5:
                name = Uri.EscapeDataString(new string('s', context.Pick(2_049, 200_000)));
                description = "application name too long";
                break;
            case 6:
                from = context.Pick("abc", "-1", "0", "-9223372036854775808", "9223372036854775807", "99999999999999999999999", "1e308", "NaN", "now-", "now-1000000000h", "now+1y", (now + 86_400).ToString(Inv), (now * 1_000_000_000).ToString(Inv));
                description = $"from={from}";
                break;
            case 7:
                extra = "&until=" + context.Pick("abc", "-1", "0", "9223372036854775807", (now - 3_600).ToString(Inv), "now-99999999999h");
                description = "bad until" + extra;
                break;
            case 8:
                format = context.Pick("trie", "tree", "jfr", "speedscope", "lines", "folded", "PPROF", "pprof ", "%00", "x", new string('f', 10_000));
                description = $"format={format[..Math.Min(format.Length, 20)]}";
                format = Uri.EscapeDataString(format);
                break;
            case 9:
                extra = "&units=" + context.Pick("", "bytes", "objects", "nanoseconds", "%00", "u" + new string('x', 5_000)) + "&aggregationType=" + context.Pick("sum", "average", "max", "", "x");
                description = "odd units and aggregationType";
                break;
            case 10:
                extra = "&sampleRate=" + context.Pick("0", "-1", "abc", "9223372036854775807", "1e9", "100.5", "-9223372036854775808");
                description = "bad sampleRate" + extra[..Math.Min(extra.Length, 40)];
                break;
            case 11:
                extra = "&spyName=" + context.Pick("", "%00", new string('s', 100_000), Uri.EscapeDataString("ä\u2028"));
                description = "odd spyName";
                break;
            case 12:
                extra = "&name=" + Uri.EscapeDataString(context.Service() + "{dup=1}") + "&from=" + now.ToString(Inv);
                description = "duplicate name and from parameters";
                break;
            case 13:
                name = Uri.EscapeDataString(Encoding.UTF8.GetString(context.Bytes(64)));
                description = "random bytes as the name";
                break;
            case 14:
                name = "%FF%FE" + name;
                description = "invalid percent-encoded UTF-8 in the name";
                break;
            default:
                format = context.Pick("folded", "lines");
                var folded = ChaosContext.Utf8(context.Pick("a;b;c 9223372036854775807\na;b;c 9223372036854775807\n", "a;b -5\n", "a;b\n", ";;; 1\n", "a;b 1e99\n", new string(';', 100_000) + " 1\n"));
                return context.Post(string.Create(Inv, $"/ingest?name={name}&format={format}&from={from}"), "text/plain", folded, $"odd {format} body");
        }

        var body = ChaosContext.Gzip(Google.Protobuf.MessageExtensions.ToByteArray(context.Template()));
        return context.Post($"{context.Pick("/ingest", "/pyroscope/ingest")}?name={name}&format={format}&from={from}&spyName=gospy{extra}", "application/octet-stream", body, description);
    }
}
