using System.Globalization;
using System.Text;

namespace Dapr.Profiler.Model;

/// <summary>
/// Reads and writes PromQL string literals: double-quoted and single-quoted strings with Go escapes, and
/// backtick raw strings without escapes. <c>\xNN</c> and octal <c>\NNN</c> escapes are bytes; consecutive byte
/// escapes are decoded together as UTF-8 (so <c>"\xe2\x82\xac"</c> is "€") and must form valid UTF-8.
/// </summary>
internal static class SelectorStringLiteral
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static bool IsQuote(char c) => c is '"' or '\'' or '`';

    /// <summary>Reads the literal whose opening quote is at <paramref name="start"/>.</summary>
    /// <param name="text">The whole text being parsed.</param>
    /// <param name="start">Offset of the opening quote.</param>
    /// <param name="end">Receives the offset just after the closing quote.</param>
    /// <exception cref="SelectorParseException">The literal is unterminated or has an invalid escape.</exception>
    public static string Read(string text, int start, out int end)
    {
        var quote = text[start];
        if (quote == '`')
        {
            var close = text.IndexOf('`', start + 1);
            if (close < 0)
            {
                throw Unterminated(start);
            }

            end = close + 1;
            return text.Substring(start + 1, close - start - 1);
        }

        var sb = new StringBuilder();
        var bytes = new List<byte>();
        var bytesStart = 0;
        var i = start + 1;
        while (true)
        {
            if (i >= text.Length)
            {
                throw Unterminated(start);
            }

            var c = text[i];
            if (c == '\\' && i + 1 < text.Length && text[i + 1] is 'x' or >= '0' and <= '7')
            {
                if (bytes.Count == 0)
                {
                    bytesStart = i;
                }

                var value = text[i + 1] == 'x'
                    ? ReadDigits(text, i, i + 2, 2, 16, start)
                    : ReadDigits(text, i, i + 1, 3, 8, start);
                if (value > 0xff)
                {
                    throw new SelectorParseException(i, "octal escape value > 255");
                }

                bytes.Add((byte)value);
                i += 4;
                continue;
            }

            FlushBytes(sb, bytes, bytesStart);
            if (c == quote)
            {
                end = i + 1;
                return sb.ToString();
            }

            if (c == '\n')
            {
                throw new SelectorParseException(i, "newline in quoted string");
            }

            if (c != '\\')
            {
                sb.Append(c);
                i++;
                continue;
            }

            if (i + 1 >= text.Length)
            {
                throw Unterminated(start);
            }

            var escape = text[i + 1];
            i += 2;
            switch (escape)
            {
                case 'a': sb.Append('\a'); break;
                case 'b': sb.Append('\b'); break;
                case 'f': sb.Append('\f'); break;
                case 'n': sb.Append('\n'); break;
                case 'r': sb.Append('\r'); break;
                case 't': sb.Append('\t'); break;
                case 'v': sb.Append('\v'); break;
                case '\\': sb.Append('\\'); break;
                case '"' or '\'' when escape == quote: sb.Append(escape); break;
                case 'u' or 'U':
                    var digits = escape == 'u' ? 4 : 8;
                    var rune = ReadDigits(text, i - 2, i, digits, 16, start);
                    if (rune > 0x10ffff || rune is >= 0xd800 and <= 0xdfff)
                    {
                        throw new SelectorParseException(i - 2, "escape sequence is an invalid Unicode code point");
                    }

                    sb.Append(char.ConvertFromUtf32((int)rune));
                    i += digits;
                    break;
                default:
                    throw new SelectorParseException(i - 2, $"unknown escape sequence \"\\{escape}\"");
            }
        }
    }

    /// <summary>Writes <paramref name="value"/> as a double-quoted literal that <see cref="Read"/> turns back into it.</summary>
    public static string Quote(string value)
    {
        var sb = new StringBuilder(value.Length + 2).Append('"');
        foreach (var c in value)
        {
            switch (c)
            {
                case '\\': sb.Append("\\\\"); break;
                case '"': sb.Append("\\\""); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case < ' ' or '\x7f':
                    sb.Append("\\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
                    break;
                default: sb.Append(c); break;
            }
        }

        return sb.Append('"').ToString();
    }

    private static long ReadDigits(string text, int escapeStart, int from, int count, int radix, int quoteStart)
    {
        long value = 0;
        for (var k = 0; k < count; k++)
        {
            if (from + k >= text.Length)
            {
                throw Unterminated(quoteStart);
            }

            var digit = HexDigit(text[from + k]);
            if (digit < 0 || digit >= radix)
            {
                throw new SelectorParseException(escapeStart, "invalid escape sequence");
            }

            value = value * radix + digit;
        }

        return value;
    }

    private static int HexDigit(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => -1,
    };

    private static void FlushBytes(StringBuilder sb, List<byte> bytes, int bytesStart)
    {
        if (bytes.Count == 0)
        {
            return;
        }

        try
        {
            sb.Append(StrictUtf8.GetString(bytes.ToArray()));
        }
        catch (DecoderFallbackException)
        {
            throw new SelectorParseException(bytesStart, "byte escapes do not form valid UTF-8");
        }

        bytes.Clear();
    }

    private static SelectorParseException Unterminated(int start) => new(start, "unterminated quoted string");
}
