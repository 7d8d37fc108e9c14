using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Dapr.Profiler.DaprSidecar.Emulator;

/// <summary>Re-encodes JSON the way daprd does with Go's encoder before a binding sees <c>data</c>: compact, object keys sorted,
/// <c>&lt;&gt;&amp;</c> escaped, numbers as float64, missing value as <c>null</c>.</summary>
public static class GoJson
{
    /// <summary>Go-encodes <paramref name="element"/> (Undefined → <c>null</c>).</summary>
    public static string Encode(JsonElement element)
    {
        var sb = new StringBuilder();
        Write(sb, element);
        return sb.ToString();
    }

    private static void Write(StringBuilder sb, JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Undefined:
            case JsonValueKind.Null:
                sb.Append("null");
                break;
            case JsonValueKind.True:
                sb.Append("true");
                break;
            case JsonValueKind.False:
                sb.Append("false");
                break;
            case JsonValueKind.String:
                WriteString(sb, element.GetString()!);
                break;
            case JsonValueKind.Number:
                sb.Append(FormatFloat(element.GetDouble()));
                break;
            case JsonValueKind.Array:
                sb.Append('[');
                var first = true;
                foreach (var item in element.EnumerateArray())
                {
                    if (!first)
                    {
                        sb.Append(',');
                    }

                    first = false;
                    Write(sb, item);
                }

                sb.Append(']');
                break;
            case JsonValueKind.Object:
                var map = new SortedDictionary<string, JsonElement>(StringComparer.Ordinal);
                foreach (var property in element.EnumerateObject())
                {
                    map[property.Name] = property.Value;
                }

                sb.Append('{');
                var firstProperty = true;
                foreach (var (key, value) in map)
                {
                    if (!firstProperty)
                    {
                        sb.Append(',');
                    }

                    firstProperty = false;
                    WriteString(sb, key);
                    sb.Append(':');
                    Write(sb, value);
                }

                sb.Append('}');
                break;
            default:
                throw new JsonException($"unexpected JSON value kind {element.ValueKind}");
        }
    }

    private static void WriteString(StringBuilder sb, string value)
    {
        sb.Append('"');
        foreach (var c in value)
        {
            switch (c)
            {
                case '"':
                    sb.Append("\\\"");
                    break;
                case '\\':
                    sb.Append("\\\\");
                    break;
                case '\n':
                    sb.Append("\\n");
                    break;
                case '\r':
                    sb.Append("\\r");
                    break;
                case '\t':
                    sb.Append("\\t");
                    break;
                case '<' or '>' or '&' or '\u2028' or '\u2029' or < ' ':
                    sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    break;
                default:
                    sb.Append(c);
                    break;
            }
        }

        sb.Append('"');
    }

    /// <summary>Go's float64 JSON formatting: shortest round-trip, exponent only outside [1e-6, 1e21).</summary>
    public static string FormatFloat(double value)
    {
        var abs = Math.Abs(value);
        var r = value.ToString("R", CultureInfo.InvariantCulture);
        var useExponent = abs != 0 && (abs < 1e-6 || abs >= 1e21);
        var e = r.IndexOf('E', StringComparison.Ordinal);
        if (useExponent)
        {
            if (e < 0)
            {
                return r;
            }

            var mantissa = r[..e];
            var exponent = int.Parse(r[(e + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            var sign = exponent < 0 ? "-" : "+";
            var digits = Math.Abs(exponent).ToString(CultureInfo.InvariantCulture);
            if (digits.Length < 2 && exponent >= 0)
            {
                digits = "0" + digits;
            }

            return mantissa + "e" + sign + digits;
        }

        if (e < 0)
        {
            return r;
        }

        // Expand "d.dddE±x" into plain decimal notation.
        var negative = r[0] == '-';
        var m = r[(negative ? 1 : 0)..e];
        var exp = int.Parse(r[(e + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        var dot = m.IndexOf('.', StringComparison.Ordinal);
        var intDigits = dot < 0 ? m.Length : dot;
        var allDigits = m.Replace(".", string.Empty, StringComparison.Ordinal);
        var point = intDigits + exp;
        string plain;
        if (point <= 0)
        {
            plain = "0." + new string('0', -point) + allDigits;
        }
        else if (point >= allDigits.Length)
        {
            plain = allDigits + new string('0', point - allDigits.Length);
        }
        else
        {
            plain = allDigits[..point] + "." + allDigits[point..];
        }

        return negative ? "-" + plain : plain;
    }
}
