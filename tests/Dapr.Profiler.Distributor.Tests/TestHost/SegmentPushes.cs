using Dapr.Profiler.Protos.SegmentWriter;

namespace Dapr.Profiler.Distributor.Tests;

/// <summary>Reads the segment-writer pushes the distributor sent (as captured by <see cref="RecordingSegmentWriter"/>).</summary>
internal static class SegmentPushes
{
    /// <summary>The labels of every series of every captured push, as dictionaries.</summary>
    public static IReadOnlyList<Dictionary<string, string>> SeriesLabels(IEnumerable<PushRequest> pushes) =>
        pushes.SelectMany(p => p.Series).Select(s => s.Labels.ToDictionary(l => l.Name, l => l.Value)).ToArray();

    public static string[] ProfileTypes(IEnumerable<PushRequest> pushes) =>
        pushes.SelectMany(p => p.Series).Select(s => s.ProfileType).Order(StringComparer.Ordinal).ToArray();
}
