namespace Dapr.Profiler.Model;

/// <summary>
/// A Pyroscope profile type id, <c>name:sample_type:sample_unit:period_type:period_unit</c>,
/// e.g. <c>process_cpu:cpu:nanoseconds:cpu:nanoseconds</c>. A sixth part <c>:delta</c> is tolerated on parse.
/// </summary>
public sealed record ProfileTypeId(string Name, string SampleType, string SampleUnit, string PeriodType, string PeriodUnit)
{
    public string Id => $"{Name}:{SampleType}:{SampleUnit}:{PeriodType}:{PeriodUnit}";

    public override string ToString() => Id;

    /// <exception cref="FormatException">The text is not a profile type id.</exception>
    public static ProfileTypeId Parse(string text)
    {
        if (!TryParse(text, out var id, out var error))
        {
            throw new FormatException(error);
        }

        return id;
    }

    public static bool TryParse(string? text, out ProfileTypeId id, out string error)
    {
        id = null!;
        if (string.IsNullOrEmpty(text))
        {
            error = "profile type id is empty";
            return false;
        }

        var parts = text.Split(':');
        if (parts.Length == 6 && parts[5] == "delta")
        {
            parts = parts[..5];
        }

        if (parts.Length != 5)
        {
            error = $"invalid profile type id \"{text}\": expected 5 parts name:sample_type:sample_unit:period_type:period_unit";
            return false;
        }

        if (parts[0].Length == 0 || parts[1].Length == 0)
        {
            error = $"invalid profile type id \"{text}\": name and sample type must not be empty";
            return false;
        }

        id = new ProfileTypeId(parts[0], parts[1], parts[2], parts[3], parts[4]);
        error = string.Empty;
        return true;
    }
}
