using Dapr.Profiler.Protos.Pprof;

namespace Dapr.Profiler.Model;

/// <summary>
/// Turns one decoded profile and its pushed labels into series, as Pyroscope's distributor and segment
/// writer do: label validation and sanitisation, the sample and stack limits, removal of negative and empty
/// samples, a split by sample string labels, and one series per sample type with the profile type labels.
/// </summary>
/// <remarks>
/// A profile whose values of one sample type sum to more than <see cref="long.MaxValue"/> is rejected rather than
/// stored with a saturated total: every merge of it would overflow, and a clamped total would misstate the data.
/// </remarks>
public sealed partial class SeriesNormalizer(NormalizationOptions options)
{
    private const long Nanos1971 = 31_536_000L * 1_000_000_000L;

    public static SeriesNormalizer Default { get; } = new(NormalizationOptions.Default);

    public NormalizationOptions Options { get; } = options;

    /// <summary>Normalises a profile in place and returns its series (none when every value is zero).</summary>
    /// <param name="profile">A profile from <see cref="PprofDecoder"/>; it is modified.</param>
    /// <param name="labels">The pushed labels, including <c>__name__</c>.</param>
    /// <param name="fallbackTimeNanos">The time to use when the profile has none (the request's <c>from</c>); 0 = now.</param>
    /// <param name="now">The current time.</param>
    /// <exception cref="ProfileException">The profile or its labels break a rule or a limit.</exception>
    public IReadOnlyList<ProfileSeries> Normalize(Profile profile, IReadOnlyList<LabelPair> labels, long fallbackTimeNanos, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(labels);
        var baseLabels = NormalizeLabels(labels);
        CheckProfile(profile);
        var timestamp = Timestamp(profile, fallbackTimeNanos, now, baseLabels);
        profile.TimeNanos = timestamp;
        DropEmptySamples(profile);
        CheckTotals(profile);
        BoundStacks(profile);
        var result = new List<ProfileSeries>(profile.SampleType.Count);
        foreach (var (groupLabels, samples) in SplitBySampleLabels(profile, baseLabels))
        {
            AddSeriesPerSampleType(result, groupLabels, profile, samples, timestamp);
        }

        return result;
    }

    private void CheckProfile(Profile profile)
    {
        if (profile.Sample.Count > Options.MaxSamplesPerProfile)
        {
            throw new ProfileTooLargeException(
                nameof(NormalizationOptions.MaxSamplesPerProfile),
                Options.MaxSamplesPerProfile,
                $"profile has {profile.Sample.Count} samples; the limit is {Options.MaxSamplesPerProfile} ({nameof(NormalizationOptions.MaxSamplesPerProfile)})");
        }

        var strings = profile.StringTable;
        foreach (var type in profile.SampleType)
        {
            if (strings[(int)type.Type].Contains('-', StringComparison.Ordinal))
            {
                throw new InvalidProfileException($"sample type \"{strings[(int)type.Type]}\" contains '-'");
            }
        }

        var maxSymbol = Options.MaxSymbolValueLength;
        for (var i = 0; i < strings.Count; i++)
        {
            if (strings[i].Length > maxSymbol)
            {
                strings[i] = strings[i][^maxSymbol..];
            }
        }

        CheckLinesPerLocation(profile);
    }

    private long Timestamp(Profile profile, long fallbackTimeNanos, DateTimeOffset now, LabelSet labels)
    {
        var nowNanos = (now - DateTimeOffset.UnixEpoch).Ticks * 100;
        var t = profile.TimeNanos;
        if (t < Nanos1971)
        {
            // Zero or in 1970: seconds, milliseconds or microseconds sent by mistake, or no time at all.
            t = fallbackTimeNanos > 0 ? fallbackTimeNanos : nowNanos;
        }

        var tooNew = nowNanos + (Options.RejectNewerThan.Ticks * 100);
        var tooOld = Options.RejectOlderThan is { } older ? nowNanos - (older.Ticks * 100) : long.MinValue;
        if (t > tooNew || t < tooOld)
        {
            var at = DateTimeOffset.UnixEpoch.AddTicks(t / 100);
            throw new InvalidProfileException(
                $"profile with labels '{labels}' is outside of the ingestion window (profile timestamp: {at:O}, " +
                $"the window starts at {(tooOld == long.MinValue ? "any time" : DateTimeOffset.UnixEpoch.AddTicks(tooOld / 100).ToString("O", System.Globalization.CultureInfo.InvariantCulture))} " +
                $"and ends at {DateTimeOffset.UnixEpoch.AddTicks(tooNew / 100):O})");
        }

        return t;
    }

    /// <summary>Removes samples with a negative value or no value at all, and numeric sample labels.</summary>
    private static void DropEmptySamples(Profile profile)
    {
        var samples = profile.Sample;
        var keep = 0;
        for (var i = 0; i < samples.Count; i++)
        {
            var sample = samples[i];
            var any = false;
            var negative = false;
            var values = sample.Value;
            for (var j = 0; j < values.Count; j++)
            {
                any |= values[j] != 0;
                negative |= values[j] < 0;
            }

            if (!any || negative)
            {
                continue;
            }

            for (var j = sample.Label.Count - 1; j >= 0; j--)
            {
                if (sample.Label[j].Str == 0)
                {
                    sample.Label.RemoveAt(j);
                }
            }

            samples[keep++] = sample;
        }

        while (samples.Count > keep)
        {
            samples.RemoveAt(samples.Count - 1);
        }
    }

    /// <summary>Rejects a profile whose values of one sample type sum past int64 (values are non-negative here).</summary>
    /// <exception cref="InvalidProfileException">A total overflows.</exception>
    private static void CheckTotals(Profile profile)
    {
        var totals = new long[profile.SampleType.Count];
        foreach (var sample in profile.Sample)
        {
            var values = sample.Value;
            for (var i = 0; i < totals.Length; i++)
            {
                if (values[i] > long.MaxValue - totals[i])
                {
                    var type = profile.StringTable[(int)profile.SampleType[i].Type];
                    throw new InvalidProfileException(
                        $"the values of sample type \"{type}\" sum to more than {long.MaxValue}: the total overflows int64, " +
                        "so the profile is rejected rather than stored with a wrong total");
                }

                totals[i] += values[i];
            }
        }
    }

    private static void AddSeriesPerSampleType(List<ProfileSeries> result, LabelSet labels, Profile profile, List<int>? samples, long timestamp)
    {
        var strings = profile.StringTable;
        var serviceName = labels.Get(LabelNames.ServiceName)!;
        var metricName = labels.Get(LabelNames.MetricName)!;
        var periodType = profile.PeriodType is { } pt ? strings[(int)pt.Type] : string.Empty;
        var periodUnit = profile.PeriodType is { } pu ? strings[(int)pu.Unit] : string.Empty;
        for (var i = 0; i < profile.SampleType.Count; i++)
        {
            if (!HasPositiveValue(profile, samples, i))
            {
                continue;
            }

            var type = strings[(int)profile.SampleType[i].Type];
            var unit = strings[(int)profile.SampleType[i].Unit];
            var id = new ProfileTypeId(metricName, type, unit, periodType, periodUnit);
            var seriesLabels = new List<LabelPair>(labels.Count + 6);
            seriesLabels.AddRange(labels);
            seriesLabels.Add(new LabelPair(LabelNames.ServiceNameCopy, serviceName));
            if (periodType.Length > 0)
            {
                seriesLabels.Add(new LabelPair(LabelNames.PeriodType, periodType));
            }

            if (periodUnit.Length > 0)
            {
                seriesLabels.Add(new LabelPair(LabelNames.PeriodUnit, periodUnit));
            }

            seriesLabels.Add(new LabelPair(LabelNames.Type, type));
            seriesLabels.Add(new LabelPair(LabelNames.Unit, unit));
            seriesLabels.Add(new LabelPair(LabelNames.ProfileType, id.Id));
            result.Add(new ProfileSeries(LabelSet.Create(seriesLabels), id, profile, i, timestamp, samples));
        }
    }

    private static bool HasPositiveValue(Profile profile, List<int>? samples, int index)
    {
        var all = profile.Sample;
        var count = samples?.Count ?? all.Count;
        for (var i = 0; i < count; i++)
        {
            if (all[samples is null ? i : samples[i]].Value[index] > 0)
            {
                return true;
            }
        }

        return false;
    }
}
