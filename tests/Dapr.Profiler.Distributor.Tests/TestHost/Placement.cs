using Dapr.Profiler.Model;
using Dapr.Profiler.Protos.SegmentWriter;

namespace Dapr.Profiler.Distributor.Tests;

internal static class Placement
{
    /// <summary>
    /// Asserts a push went to the shard the default placement (4 shards) computes for the labels of every series in
    /// it (a push carries the sample-label groups of one profile that land on one shard).
    /// </summary>
    public static void AssertDefaultShard(PushRequest push)
    {
        Assert.InRange(push.Shard, 1u, 4u);
        var placement = new ShardPlacement(4, 0, 1);
        foreach (var series in push.Series)
        {
            var labels = LabelSet.Create(series.Labels.Select(l => new LabelPair(l.Name, l.Value)));
            var service = labels.Get(LabelNames.ServiceName)!;
            Assert.Equal(placement.Shard(push.TenantId, service, IngestPipeline.GroupFingerprint(labels)), push.Shard);
        }
    }
}
