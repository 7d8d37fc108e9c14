using System.Globalization;
using System.Text;
using Dapr.Profiler.Protos.Pprof;

namespace Dapr.Profiler.TestKit;

/// <summary>
/// What a pprof says, independent of how it is laid out: ids, string table order and sample order do not matter,
/// every reference is resolved to the text it stands for.
/// </summary>
public static class PprofContent
{
    /// <summary>
    /// A canonical text of a pprof (gzip or raw bytes): header (sample types, period, time, duration) and one
    /// sorted line per sample with its resolved stack (leaf first: function, system name, file, line; mapping and
    /// address of each location), labels and values.
    /// </summary>
    public static string Canonical(byte[] pprof)
    {
        ArgumentNullException.ThrowIfNull(pprof);
        var raw = pprof.Length > 1 && pprof[0] == 0x1f && pprof[1] == 0x8b ? IngestRequests.Gunzip(pprof) : pprof;
        return Canonical(Profile.Parser.ParseFrom(raw));
    }

    public static string Canonical(Profile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var strings = profile.StringTable;
        string S(long index) => (ulong)index < (ulong)strings.Count ? strings[(int)index] : $"<string {index}?>";
        var functions = profile.Function.ToDictionary(f => f.Id);
        var mappings = profile.Mapping.ToDictionary(m => m.Id);
        var locations = profile.Location.ToDictionary(l => l.Id);

        string Frame(ulong locationId)
        {
            if (!locations.TryGetValue(locationId, out var location))
            {
                return $"<location {locationId}?>";
            }

            var text = new StringBuilder();
            if (location.MappingId != 0)
            {
                text.Append(mappings.TryGetValue(location.MappingId, out var m) ? $"[{S(m.Filename)} {S(m.BuildId)}]" : $"[mapping {location.MappingId}?]");
            }

            text.Append(CultureInfo.InvariantCulture, $"0x{location.Address:x}");
            foreach (var line in location.Line)
            {
                text.Append(functions.TryGetValue(line.FunctionId, out var f)
                    ? FormattableString.Invariant($" {S(f.Name)}|{S(f.SystemName)}|{S(f.Filename)}:{line.Line_}")
                    : $" <function {line.FunctionId}?>");
            }

            return text.ToString();
        }

        var samples = profile.Sample
            .Select(s => string.Join(" < ", s.LocationId.Select(Frame))
                + " {" + string.Join(',', s.Label.Select(l => FormattableString.Invariant($"{S(l.Key)}={S(l.Str)}{l.Num}{S(l.NumUnit)}")).Order(StringComparer.Ordinal)) + "} "
                + string.Join(' ', s.Value.Select(v => v.ToString(CultureInfo.InvariantCulture))))
            .Order(StringComparer.Ordinal);
        var header = FormattableString.Invariant(
            $"types {string.Join(',', profile.SampleType.Select(t => S(t.Type) + "/" + S(t.Unit)))}; period {(profile.PeriodType is { } p ? S(p.Type) + "/" + S(p.Unit) : "-")} {profile.Period}; time {profile.TimeNanos}; duration {profile.DurationNanos}; default {S(profile.DefaultSampleType)}");
        return header + "\n" + string.Join('\n', samples);
    }
}
