using ValueType = Dapr.Profiler.Protos.Pprof.ValueType;
using System.Globalization;
using System.Text;
using Dapr.Profiler.Protos.Pprof;

namespace Dapr.Profiler.Model;

/// <summary>The two text formats of <c>/ingest</c>.</summary>
public enum TextProfileFormat
{
    /// <summary>Collapsed stacks, <c>a;b;c 10</c>, split at the last space (Pyroscope's "groups").</summary>
    Folded,

    /// <summary>One stack per line, each with weight 1.</summary>
    Lines,
}

/// <summary>
/// Parses folded and lines text into a pprof <see cref="Profile"/> (dense ids, one function per frame name),
/// with Pyroscope's rescaling: cpu and wall counts at a non-zero sample rate become nanoseconds
/// (period = 1e9 / rate), so <c>foo;bar 100</c> at 100 Hz is 1e9 ns of <c>cpu</c>.
/// </summary>
public static class TextProfileParser
{
    private const int MaxLineBytes = 64 * 1024;

    public static Profile Parse(ReadOnlySpan<byte> text, TextProfileFormat format, TextProfileType type, long sampleRate, long timeNanos)
    {
        ArgumentNullException.ThrowIfNull(type);
        var stacks = new Dictionary<string, long>(StringComparer.Ordinal);
        var lineNumber = 0;
        while (!text.IsEmpty)
        {
            lineNumber++;
            var end = text.IndexOf((byte)'\n');
            var line = end < 0 ? text : text[..end];
            text = end < 0 ? [] : text[(end + 1)..];
            if (line.Length > MaxLineBytes)
            {
                throw new MalformedProfileException($"line {lineNumber} is longer than {MaxLineBytes} bytes");
            }

            line = line.TrimEnd((byte)'\r');
            if (line.IsEmpty)
            {
                continue;
            }

            string stack;
            long count;
            if (format == TextProfileFormat.Lines)
            {
                stack = Encoding.UTF8.GetString(line);
                count = 1;
            }
            else
            {
                var space = line.LastIndexOf((byte)' ');
                if (space < 0)
                {
                    continue;
                }

                if (!long.TryParse(line[(space + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out count))
                {
                    throw new MalformedProfileException(
                        $"line {lineNumber}: \"{Encoding.UTF8.GetString(line[(space + 1)..])}\" is not an integer count");
                }

                stack = Encoding.UTF8.GetString(line[..space]);
            }

            if (count != 0)
            {
                try
                {
                    stacks[stack] = checked(stacks.GetValueOrDefault(stack) + count);
                }
                catch (OverflowException ex)
                {
                    throw new MalformedProfileException($"line {lineNumber}: the counts of \"{stack}\" add up past 2^63", ex);
                }
            }
        }

        return Build(stacks, type, sampleRate, timeNanos);
    }

    private static Profile Build(Dictionary<string, long> stacks, TextProfileType type, long sampleRate, long timeNanos)
    {
        var profile = new Profile { TimeNanos = timeNanos };
        var strings = new Dictionary<string, long>(StringComparer.Ordinal);
        long Str(string s)
        {
            if (!strings.TryGetValue(s, out var index))
            {
                index = profile.StringTable.Count;
                profile.StringTable.Add(s);
                strings.Add(s, index);
            }

            return index;
        }

        Str(string.Empty);
        long multiplier = 1;
        if (type.IsTimeBased && sampleRate > 0)
        {
            var period = 1_000_000_000L / sampleRate;
            multiplier = period;
            var timeType = type.MetricName == "wall" ? "wall" : "cpu";
            profile.SampleType.Add(new ValueType { Type = Str(timeType), Unit = Str("nanoseconds") });
            profile.PeriodType = new ValueType { Type = Str("cpu"), Unit = Str("nanoseconds") };
            profile.Period = period;
        }
        else
        {
            profile.SampleType.Add(new ValueType { Type = Str(type.SampleType), Unit = Str(type.SampleUnit) });
        }

        profile.Mapping.Add(new Mapping { Id = 1, HasFunctions = true });
        var locations = new Dictionary<string, ulong>(StringComparer.Ordinal);
        var frames = new List<ulong>();
        foreach (var (stack, count) in stacks)
        {
            frames.Clear();
            foreach (var frame in stack.Split(';'))
            {
                if (!locations.TryGetValue(frame, out var id))
                {
                    id = (ulong)profile.Location.Count + 1;
                    var name = Str(frame);
                    profile.Function.Add(new Function { Id = id, Name = name, SystemName = name });
                    profile.Location.Add(new Location { Id = id, MappingId = 1, Line = { new Line { FunctionId = id } } });
                    locations.Add(frame, id);
                }

                frames.Add(id);
            }

            frames.Reverse();
            long value;
            try
            {
                value = checked(count * multiplier);
            }
            catch (OverflowException ex)
            {
                throw new MalformedProfileException($"the count {count} of \"{stack}\" overflows when scaled to nanoseconds", ex);
            }

            var sample = new Sample { Value = { value } };
            sample.LocationId.AddRange(frames);
            profile.Sample.Add(sample);
        }

        return profile;
    }
}
