namespace Dapr.Profiler.Model;

/// <summary>
/// What a folded or lines upload holds, from the last <c>.</c>-separated part of its app name
/// (<c>myapp.cpu</c>, <c>myapp.alloc_space</c>); no dot means cpu. Pyroscope's table.
/// </summary>
public sealed record TextProfileType(string MetricName, string SampleType, string SampleUnit)
{
    private static readonly Dictionary<string, TextProfileType> Suffixes = new(StringComparer.Ordinal)
    {
        ["cpu"] = new("process_cpu", "samples", "count"),
        ["itimer"] = new("process_cpu", "samples", "count"),
        ["wall"] = new("wall", "samples", "count"),
        ["seconds"] = new("wall", "samples", "count"),
        ["nanoseconds"] = new("wall", "samples", "count"),
        ["microseconds"] = new("wall", "samples", "count"),
        ["milliseconds"] = new("wall", "samples", "count"),
        ["inuse_objects"] = new("memory", "inuse_objects", "count"),
        ["alloc_objects"] = new("memory", "alloc_objects", "count"),
        ["inuse_space"] = new("memory", "inuse_space", "bytes"),
        ["alloc_space"] = new("memory", "alloc_space", "bytes"),
        ["goroutines"] = new("goroutine", "goroutines", "count"),
        ["mutex_count"] = new("mutex", "contentions", "count"),
        ["mutex_duration"] = new("mutex", "delay", "nanoseconds"),
        ["block_count"] = new("block", "contentions", "count"),
        ["lock_count"] = new("block", "contentions", "count"),
        ["block_duration"] = new("block", "delay", "nanoseconds"),
        ["lock_duration"] = new("block", "delay", "nanoseconds"),
        ["alloc_in_new_tlab_objects"] = new("memory", "alloc_in_new_tlab_objects", "count"),
        ["alloc_outside_tlab_objects"] = new("memory", "alloc_outside_tlab_objects", "count"),
        ["alloc_in_new_tlab_bytes"] = new("memory", "alloc_in_new_tlab_bytes", "bytes"),
        ["alloc_outside_tlab_bytes"] = new("memory", "alloc_outside_tlab_bytes", "bytes"),
        ["live"] = new("memory", "live", "count"),
        ["exceptions"] = new("exceptions", "samples", "count"),
        ["bytes"] = new("memory", "samples", "bytes"),
    };

    /// <summary>Splits an app name into the service name and the profile type its suffix names.</summary>
    /// <exception cref="InvalidLabelsException">The suffix is not a known profile type.</exception>
    public static (string AppName, TextProfileType Type) FromAppName(string appName)
    {
        ArgumentNullException.ThrowIfNull(appName);
        var dot = appName.LastIndexOf('.');
        if (dot < 0)
        {
            return (appName, Suffixes["cpu"]);
        }

        var suffix = appName[(dot + 1)..];
        if (!Suffixes.TryGetValue(suffix, out var type))
        {
            throw new InvalidLabelsException($"unknown profile type: {suffix}");
        }

        return (appName[..dot], type);
    }

    /// <summary>Whether values are sample counts that Pyroscope rescales to nanoseconds by the sample rate.</summary>
    public bool IsTimeBased => MetricName is "process_cpu" or "wall";
}
