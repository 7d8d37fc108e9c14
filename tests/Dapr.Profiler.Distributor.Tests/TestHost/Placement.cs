using Dapr.Profiler.Model;
using Dapr.Profiler.Protos.SegmentWriter;

namespace Dapr.Profiler.Distributor.Tests;

internal static class Placement
{
    /// <summary>Asserts a push went to the shard the default placement (4 shards) computes for its labels.</summary>
    public static void AssertDefaultShard(PushRequest push)
    {
        var labels = LabelSet.Create(push.Series[0].Labels.Select(l => new LabelPair(l.Name, l.Value)));
        var service = labels.Get(LabelNames.ServiceName)!;
        var expected = new ShardPlacement(4, 0, 1).Shard(push.TenantId, service, IngestPipeline.GroupFingerprint(labels));
        Assert.Equal(expected, push.Shard);
        Assert.InRange(push.Shard, 1u, 4u);
        foreach (var series in push.Series)
        {
            var other = LabelSet.Create(series.Labels.Select(l => new LabelPair(l.Name, l.Value)));
            Assert.Equal(IngestPipeline.GroupFingerprint(labels), IngestPipeline.GroupFingerprint(other));
        }
    }
}
