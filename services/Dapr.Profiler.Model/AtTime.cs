using System.Globalization;

namespace Dapr.Profiler.Model;

/// <summary>
/// Pyroscope's time parameter syntax (<c>from</c>, <c>until</c>): digits are an absolute time whose unit follows
/// from the length (8 = YYYYMMDD, 13 = ms, 16 = µs, 19 = ns, otherwise seconds); anything else is relative to
/// now, e.g. <c>now-1h</c>, <c>now-1h30m</c>. Nothing makes it fail: unparseable text means now.
/// </summary>
public static class AtTime
{
    /// <summary>Parses the text; empty or missing text gives <paramref name="now"/>.</summary>
    public static DateTimeOffset Parse(string? text, DateTimeOffset now)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return now;
        }

        var cleaned = new string(text.Trim().Where(c => c is not ('_' or ',' or ' ')).ToArray());
        if (cleaned.Length > 0 && cleaned.All(char.IsAsciiDigit))
        {
            return Absolute(cleaned, now);
        }

        var plus = cleaned.IndexOf('+', StringComparison.Ordinal);
        var sign = 1;
        var start = plus;
        if (plus < 0)
        {
            start = cleaned.IndexOf('-', StringComparison.Ordinal);
            sign = -1;
        }

        if (start < 0)
        {
            return now;
        }

        try
        {
            var offset = RelativeOffset(cleaned.AsSpan(start + 1));
            return now + (sign * offset);
        }
        catch (Exception ex) when (ex is OverflowException or ArgumentOutOfRangeException)
        {
            // An offset beyond what a date can hold: Pyroscope's parser never fails, so neither does this one.
            return now;
        }
    }

    private static DateTimeOffset Absolute(string digits, DateTimeOffset now)
    {
        if (digits.Length == 8
            && DateTime.TryParseExact(digits, "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var date)
            && date.Year > 1900)
        {
            return new DateTimeOffset(date, TimeSpan.Zero);
        }

        if (!long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
        {
            return now;
        }

        try
        {
            return digits.Length switch
            {
                13 => DateTimeOffset.FromUnixTimeMilliseconds(value),
                16 => DateTimeOffset.UnixEpoch.AddTicks(value * 10),
                19 => DateTimeOffset.UnixEpoch.AddTicks(value / 100),
                _ => DateTimeOffset.FromUnixTimeSeconds(value),
            };
        }
        catch (ArgumentOutOfRangeException)
        {
            return now;
        }
    }

    private static TimeSpan RelativeOffset(ReadOnlySpan<char> text)
    {
        var total = TimeSpan.Zero;
        while (!text.IsEmpty)
        {
            var digits = 0;
            while (digits < text.Length && char.IsAsciiDigit(text[digits]))
            {
                digits++;
            }

            _ = long.TryParse(text[..digits], NumberStyles.None, CultureInfo.InvariantCulture, out var number);
            text = text[digits..];
            var unitLength = 0;
            while (unitLength < text.Length && !char.IsAsciiDigit(text[unitLength]))
            {
                unitLength++;
            }

            var unit = text[..unitLength];
            text = text[unitLength..];
            if (digits == 0 && unitLength == 0)
            {
                break;
            }

            total += UnitOf(unit) * number;
        }

        return total;
    }

    private static TimeSpan UnitOf(ReadOnlySpan<char> unit)
    {
        // Matched by prefix in this order, as Pyroscope does: s, mon/M, min/m, h, d, w, y.
        if (unit.StartsWith("s"))
        {
            return TimeSpan.FromSeconds(1);
        }

        if (unit.StartsWith("mon") || unit.StartsWith("M"))
        {
            return TimeSpan.FromDays(30);
        }

        if (unit.StartsWith("min") || unit.StartsWith("m"))
        {
            return TimeSpan.FromMinutes(1);
        }

        if (unit.StartsWith("h"))
        {
            return TimeSpan.FromHours(1);
        }

        if (unit.StartsWith("d"))
        {
            return TimeSpan.FromDays(1);
        }

        if (unit.StartsWith("w"))
        {
            return TimeSpan.FromDays(7);
        }

        return unit.StartsWith("y") ? TimeSpan.FromDays(365) : TimeSpan.Zero;
    }
}
