using Dapr.Profiler.Protos.Pprof;

namespace Dapr.Profiler.Model;

/// <summary>
/// One series of one profile: the values of one sample type, with the series' full label set
/// (including <c>__profile_type__</c>, <c>service_name</c> and the other labels Pyroscope adds).
/// Several series of the same profile share the same <see cref="Profile"/> instance.
/// </summary>
/// <param name="Labels">The series labels, sorted.</param>
/// <param name="Type">The profile type of this series.</param>
/// <param name="Profile">The decoded, validated profile (dense ids, see <see cref="PprofDecoder"/>).</param>
/// <param name="ValueIndex">Which value column of each sample belongs to this series.</param>
/// <param name="TimestampNanos">When the profile was taken, in nanoseconds since the epoch.</param>
/// <param name="SampleIndexes">
/// The samples of <paramref name="Profile"/> that belong to this series, ascending; null means all of them. Set when
/// sample labels split one profile into several series, which then share the profile instead of copying it.
/// </param>
public sealed record ProfileSeries(LabelSet Labels, ProfileTypeId Type, Profile Profile, int ValueIndex, long TimestampNanos, IReadOnlyList<int>? SampleIndexes = null)
{
    /// <summary>The number of samples of the profile that belong to this series.</summary>
    public int SampleCount => SampleIndexes?.Count ?? Profile.Sample.Count;

    /// <summary>The index in <see cref="Profile"/>.Sample of this series' i-th sample.</summary>
    public int SampleAt(int i) => SampleIndexes is null ? i : SampleIndexes[i];

    /// <summary>The service name of the series (never empty: normalisation sets <c>unknown_service</c>).</summary>
    public string ServiceName => Labels.Get(LabelNames.ServiceName) ?? LabelNames.UnknownService;
}
