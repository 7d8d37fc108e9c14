using Dapr.Profiler.Mesh;

namespace Dapr.Profiler.Compaction;

/// <summary>The mesh names compaction uses (from <see cref="DaprNames"/>) and the content type of its jobs.</summary>
internal static class CompactionNames
{
    public const string PubSub = DaprNames.Components.PubSub;
    public const string JobsTopic = DaprNames.Topics.CompactionJobs;
    public const string ContentType = "application/x-protobuf";
    public const string JobsRoute = "/events/compaction-jobs";
}
