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
public sealed record ProfileSeries(LabelSet Labels, ProfileTypeId Type, Profile Profile, int ValueIndex, long TimestampNanos)
{
    /// <summary>The service name of the series (never empty: normalisation sets <c>unknown_service</c>).</summary>
    public string ServiceName => Labels.Get(LabelNames.ServiceName) ?? LabelNames.UnknownService;
}
