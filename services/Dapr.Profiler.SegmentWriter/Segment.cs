using Dapr.Profiler.Block;
using Dapr.Profiler.Protos.SegmentWriter;

namespace Dapr.Profiler.SegmentWriter;

/// <summary>An open segment of one shard: the block being built and the pushes waiting for it to be durable.</summary>
internal sealed class Segment(uint shard, Ulid id)
{
    public uint Shard { get; } = shard;

    public Ulid Id { get; } = id;

    public BlockWriter Writer { get; } = new();

    public List<TaskCompletionSource<PushResponse>> Waiters { get; } = [];

    public long Bytes { get; set; }

    public bool IsEmpty => Waiters.Count == 0;

    public string ObjectKey => BlockObjectKeys.Segment(Shard, Id.ToString());

    public string DlqKey => $"dlq/{Shard}/anonymous/{Id}/meta.pb";
}
