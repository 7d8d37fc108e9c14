using Dapr.Profiler.Protos.Pprof;
using Google.Protobuf;

namespace Dapr.Profiler.Cli.Chaos;

/// <summary>Corrupted and abusive pprof profiles, pushed raw or gzipped to <c>/ingest</c>.</summary>
internal static class PprofMutations
{
    private const int Kinds = 15;

    public static ChaosRequest Generate(ChaosContext context)
    {
        var random = context.Random;
        var profile = context.Template();
        string description;
        byte[]? bytes = null;
        switch (random.Next(Kinds))
        {
            case 0:
                bytes = profile.ToByteArray();
                var flips = 1 + random.Next(32);
                for (var i = 0; i < flips; i++)
                {
                    var at = random.Next(bytes.Length);
                    bytes[at] ^= (byte)(1 << random.Next(8));
                }

                description = $"{flips} bit flips";
                break;
            case 1:
                var whole = profile.ToByteArray();
                bytes = whole[..random.Next(whole.Length)];
                description = $"truncated to {bytes.Length} of {whole.Length} bytes";
                break;
            case 2:
                bytes = [.. profile.ToByteArray(), .. RandomVarints(context)];
                description = "random varint fields appended";
                break;
            case 3:
                var huge = context.Pick(profile.StringTable.Count, profile.StringTable.Count + 1_000, int.MaxValue, long.MaxValue, -1L);
                var target = random.Next(3);
                if (target == 0 && profile.Function.Count > 0)
                {
                    profile.Function[random.Next(profile.Function.Count)].Name = huge;
                }
                else if (target == 1 && profile.SampleType.Count > 0)
                {
                    profile.SampleType[0].Type = huge;
                }
                else
                {
                    profile.Sample.FirstOrDefault()?.Label.Add(new Label { Key = huge, Str = huge });
                }

                description = $"string index {huge} out of range";
                break;
            case 4:
                profile.Sample.FirstOrDefault()?.LocationId.Add(context.Pick(ulong.MaxValue, (ulong)profile.Location.Count + 10_000, (ulong)long.MaxValue + 1));
                description = "sample references a missing location";
                break;
            case 5:
                if (profile.Location.FirstOrDefault(l => l.Line.Count > 0) is { } withLine)
                {
                    withLine.Line[0].FunctionId = context.Pick(ulong.MaxValue, (ulong)profile.Function.Count + 10_000);
                }

                description = "line references a missing function";
                break;
            case 6:
                var zero = random.Next(3);
                if (zero == 0 && profile.Location.Count > 0)
                {
                    profile.Location[random.Next(profile.Location.Count)].Id = 0;
                }
                else if (zero == 1 && profile.Function.Count > 0)
                {
                    profile.Function[random.Next(profile.Function.Count)].Id = 0;
                }
                else
                {
                    profile.Sample.FirstOrDefault()?.LocationId.Add(0);
                }

                description = "zero id";
                break;
            case 7:
                var count = context.Pick(16_001, 50_000, 200_000);
                var first = profile.Sample.FirstOrDefault() ?? new Sample();
                for (var i = profile.Sample.Count; i < count; i++)
                {
                    profile.Sample.Add(first.Clone());
                }

                description = $"{count} samples";
                break;
            case 8:
                var depth = context.Pick(1_000, 5_000, 20_000, 100_000);
                var ids = profile.Location.Select(l => l.Id).ToArray();
                var deep = new Sample();
                deep.Value.AddRange(Enumerable.Repeat(1L, profile.SampleType.Count));
                for (var i = 0; i < depth && ids.Length > 0; i++)
                {
                    deep.LocationId.Add(ids[random.Next(ids.Length)]);
                }

                profile.Sample.Add(deep);
                description = $"stack of {depth} locations";
                break;
            case 9:
                description = InlineBomb(context, profile);
                break;
            case 10:
                var near = context.Pick(long.MaxValue, long.MaxValue - 1, long.MaxValue / 2 + 1, (long)1 << 62);
                var repeat = 1 + random.Next(4);
                foreach (var sample in profile.Sample.Take(16))
                {
                    for (var v = 0; v < sample.Value.Count; v++)
                    {
                        sample.Value[v] = near;
                    }
                }

                for (var r = 1; r < repeat && profile.Sample.Count > 0; r++)
                {
                    profile.Sample.Add(profile.Sample[0].Clone());
                }

                description = $"values of {near} in up to {16 + repeat} samples (sums overflow int64)";
                break;
            case 11:
                foreach (var sample in profile.Sample)
                {
                    for (var v = 0; v < sample.Value.Count; v++)
                    {
                        sample.Value[v] = context.Pick(-1L, long.MinValue, -sample.Value[v], long.MinValue + 1);
                    }
                }

                description = "negative values";
                break;
            case 12:
                var labels = context.Pick(100, 1_000, 10_000);
                var distinctValues = random.Next(2) == 0;
                var keyIndex = profile.StringTable.Count;
                profile.StringTable.Add("chaos_label");
                for (var s = 0; s < profile.Sample.Count && s < labels; s++)
                {
                    var valueIndex = profile.StringTable.Count;
                    profile.StringTable.Add(distinctValues ? $"v{s}" : "v");
                    profile.Sample[s].Label.Add(new Label { Key = keyIndex, Str = valueIndex });
                }

                var many = profile.Sample.FirstOrDefault();
                for (var l = 0; l < labels && many is not null; l++)
                {
                    var key = profile.StringTable.Count;
                    profile.StringTable.Add($"k{l}");
                    many.Label.Add(new Label { Key = key, Str = key });
                }

                description = $"{labels} sample labels ({(distinctValues ? "one series per sample" : "one value")})";
                break;
            case 13:
                profile.SampleType.Clear();
                description = "no sample types";
                break;
            default:
                profile.StringTable.Clear();
                description = "empty string table";
                break;
        }

        bytes ??= profile.ToByteArray();
        var gzipped = random.Next(2) == 0;
        return context.Post(context.IngestPath(), "application/octet-stream", gzipped ? ChaosContext.Gzip(bytes) : bytes, description + (gzipped ? ", gzipped" : ", raw"));
    }

    /// <summary>A location with thousands of inline lines, referenced many times by a few samples.</summary>
    private static string InlineBomb(ChaosContext context, Profile profile)
    {
        var lines = context.Pick(1_000, 3_000, 5_000);
        var references = context.Pick(100, 500, 2_000);
        var samples = 1 + context.Random.Next(8);
        var functionId = profile.Function.Count > 0 ? profile.Function[0].Id : 1;
        var locationId = profile.Location.Count == 0 ? 1 : profile.Location.Max(l => l.Id) + 1;
        var location = new Location { Id = locationId };
        for (var i = 0; i < lines; i++)
        {
            location.Line.Add(new Line { FunctionId = functionId, Line_ = i });
        }

        profile.Location.Add(location);
        for (var s = 0; s < samples; s++)
        {
            var sample = new Sample();
            sample.Value.AddRange(Enumerable.Repeat(1L, Math.Max(1, profile.SampleType.Count)));
            sample.LocationId.AddRange(Enumerable.Repeat(locationId, references));
            profile.Sample.Add(sample);
        }

        return $"location with {lines} inline lines referenced {references} times by {samples} samples";
    }

    private static byte[] RandomVarints(ChaosContext context)
    {
        using var buffer = new MemoryStream();
        var output = new CodedOutputStream(buffer);
        var fields = 1 + context.Random.Next(64);
        for (var i = 0; i < fields; i++)
        {
            output.WriteTag(1 + context.Random.Next(20), WireFormat.WireType.Varint);
            output.WriteUInt64((ulong)context.Random.NextInt64() << context.Random.Next(2));
        }

        output.Flush();
        return buffer.ToArray();
    }
}
