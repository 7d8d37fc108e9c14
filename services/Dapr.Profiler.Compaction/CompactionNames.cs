using Dapr.Profiler.Mesh;

namespace Dapr.Profiler.Compaction;

/// <summary>The mesh names compaction uses (from <see cref="DaprNames"/>) and the content type of its jobs.</summary>
internal static class CompactionNames
{
    public const string PubSub = DaprNames.Components.PubSub;
    public const string JobsTopic = DaprNames.Topics.CompactionJobs;
    // Binary data travels in the CloudEvent's data_base64 only with this content type (daprd puts other types in data).
    public const string ContentType = "application/octet-stream";
    public const string JobsRoute = "/events/compaction-jobs";
}
