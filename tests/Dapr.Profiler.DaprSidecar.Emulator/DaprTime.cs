using System.Globalization;
using System.Text.RegularExpressions;

namespace Dapr.Profiler.DaprSidecar.Emulator;

/// <summary>
/// The time formats of actor reminders and timers (reference §5): Go durations (<c>1h2m3s4ms</c>, <c>1.5s</c>, <c>0</c>),
/// ISO 8601 durations (<c>PT5S</c>, <c>P1DT2H</c>; integers only, a month is 30 days and a year 365 as the SDKs count),
/// periods with repetitions (<c>R3/PT1S</c>), <c>@every &lt;go duration&gt;</c>, and RFC 3339 timestamps for due times and ttls.
/// </summary>
public static partial class DaprTime
{
    /// <summary>Parses a Go duration: an optional sign, then one or more decimal numbers each with a unit (ns, us, µs, ms, s, m, h); a bare <c>0</c> is allowed.</summary>
    public static bool TryParseGoDuration(string text, out TimeSpan value)
    {
        ArgumentNullException.ThrowIfNull(text);
        value = TimeSpan.Zero;
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        var span = text.AsSpan();
        var negative = false;
        if (span[0] is '+' or '-')
        {
            negative = span[0] == '-';
            span = span[1..];
        }

        if (span is "0")
        {
            return true;
        }

        if (span.IsEmpty)
        {
            return false;
        }

        decimal totalTicks = 0;
        while (!span.IsEmpty)
        {
            var numberLength = 0;
            while (numberLength < span.Length && (char.IsAsciiDigit(span[numberLength]) || span[numberLength] == '.'))
            {
                numberLength++;
            }

            if (numberLength == 0 || !decimal.TryParse(span[..numberLength], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
            {
                return false;
            }

            span = span[numberLength..];
            var unitLength = 0;
            while (unitLength < span.Length && !char.IsAsciiDigit(span[unitLength]) && span[unitLength] != '.')
            {
                unitLength++;
            }

            decimal ticksPerUnit = span[..unitLength] switch
            {
                "ns" => 0.01m,
                "us" or "µs" or "μs" => 10m,
                "ms" => TimeSpan.TicksPerMillisecond,
                "s" => TimeSpan.TicksPerSecond,
                "m" => TimeSpan.TicksPerMinute,
                "h" => TimeSpan.TicksPerHour,
                _ => -1m,
            };
            if (ticksPerUnit < 0)
            {
                return false;
            }

            span = span[unitLength..];
            try
            {
                totalTicks += number * ticksPerUnit;
            }
            catch (OverflowException)
            {
                return false;
            }
        }

        if (totalTicks > TimeSpan.MaxValue.Ticks)
        {
            return false;
        }

        value = TimeSpan.FromTicks((long)decimal.Truncate(totalTicks));
        if (negative)
        {
            value = -value;
        }

        return true;
    }

    /// <summary>Parses an ISO 8601 duration <c>P[nY][nM][nW][nD][T[nH][nM][nS]]</c> with at least one component.</summary>
    public static bool TryParseIsoDuration(string text, out TimeSpan value)
    {
        ArgumentNullException.ThrowIfNull(text);
        value = TimeSpan.Zero;
        var match = IsoDuration().Match(text);
        if (!match.Success || !match.Groups.Values.Skip(1).Any(g => g.Success))
        {
            return false;
        }

        try
        {
            var days = (Component(match, "y") * 365) + (Component(match, "mo") * 30) + (Component(match, "w") * 7) + Component(match, "d");
            var seconds = (Component(match, "h") * 3600) + (Component(match, "mi") * 60) + Component(match, "s");
            value = TimeSpan.FromDays(days) + TimeSpan.FromSeconds(seconds);
            return true;
        }
        catch (OverflowException)
        {
            return false;
        }
    }

    /// <summary>
    /// Parses a reminder or timer period: empty → none (fire once); a Go duration; <c>@every &lt;go duration&gt;</c>;
    /// or an ISO 8601 duration optionally prefixed by <c>Rn/</c> (n ≥ 1 repetitions). A zero period means once.
    /// </summary>
    public static bool TryParsePeriod(string text, out TimeSpan period, out int? repetitions)
    {
        ArgumentNullException.ThrowIfNull(text);
        period = TimeSpan.Zero;
        repetitions = null;
        if (string.IsNullOrEmpty(text))
        {
            return true;
        }

        if (text.StartsWith("@every ", StringComparison.Ordinal))
        {
            return TryParseGoDuration(text["@every ".Length..].Trim(), out period) && period >= TimeSpan.Zero;
        }

        if (text[0] == 'R')
        {
            var slash = text.IndexOf('/', StringComparison.Ordinal);
            if (slash < 2 || !int.TryParse(text.AsSpan(1, slash - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var count) || count < 1)
            {
                return false;
            }

            repetitions = count;
            return TryParseIsoDuration(text[(slash + 1)..], out period);
        }

        if (text[0] == 'P')
        {
            return TryParseIsoDuration(text, out period);
        }

        return TryParseGoDuration(text, out period) && period >= TimeSpan.Zero;
    }

    /// <summary>Parses a due time relative to <paramref name="now"/>: empty → now; a Go or ISO 8601 duration; or an RFC 3339 timestamp.</summary>
    public static bool TryParseDueTime(string text, DateTimeOffset now, out DateTimeOffset due)
    {
        ArgumentNullException.ThrowIfNull(text);
        due = now;
        if (string.IsNullOrEmpty(text))
        {
            return true;
        }

        if (TryParseTimestamp(text, out due))
        {
            return true;
        }

        if (TryParseDuration(text, out var delay) && delay >= TimeSpan.Zero)
        {
            due = now + delay;
            return true;
        }

        return false;
    }

    /// <summary>Parses a ttl: empty → none; a Go or ISO 8601 duration counted from <paramref name="start"/> (the first due time); or an RFC 3339 timestamp.</summary>
    public static bool TryParseTtl(string text, DateTimeOffset start, out DateTimeOffset? expires)
    {
        ArgumentNullException.ThrowIfNull(text);
        expires = null;
        if (string.IsNullOrEmpty(text))
        {
            return true;
        }

        if (TryParseTimestamp(text, out var at))
        {
            expires = at;
            return true;
        }

        if (TryParseDuration(text, out var ttl) && ttl >= TimeSpan.Zero)
        {
            expires = start + ttl;
            return true;
        }

        return false;
    }

    /// <summary>A Go duration or an ISO 8601 duration without repetitions.</summary>
    public static bool TryParseDuration(string text, out TimeSpan value)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.StartsWith('P') ? TryParseIsoDuration(text, out value) : TryParseGoDuration(text, out value);
    }

    private static bool TryParseTimestamp(string text, out DateTimeOffset value)
    {
        value = default;
        return text.Length >= 20 && char.IsAsciiDigit(text[0]) && text.Contains('T', StringComparison.Ordinal)
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out value);
    }

    private static long Component(Match match, string group) =>
        match.Groups[group].Success ? long.Parse(match.Groups[group].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture) : 0;

    [GeneratedRegex(@"^P(?:(?<y>\d+)Y)?(?:(?<mo>\d+)M)?(?:(?<w>\d+)W)?(?:(?<d>\d+)D)?(?:T(?:(?<h>\d+)H)?(?:(?<mi>\d+)M)?(?:(?<s>\d+)S)?)?$", RegexOptions.CultureInvariant)]
    private static partial Regex IsoDuration();
}
