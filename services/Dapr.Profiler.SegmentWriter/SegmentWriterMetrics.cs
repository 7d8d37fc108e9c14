namespace Dapr.Profiler.SegmentWriter;

/// <summary>Counters of the segment-writer, read by the server's <c>/metrics</c> endpoint and the ingest bench.</summary>
public sealed class SegmentWriterMetrics
{
    private long _objects;
    private long _bytes;
    private long _pushes;
    private long _failed;
    private long _dlq;

    public long ObjectsWritten => Interlocked.Read(ref _objects);

    public long BytesWritten => Interlocked.Read(ref _bytes);

    public long PushesAcknowledged => Interlocked.Read(ref _pushes);

    public long SegmentsFailed => Interlocked.Read(ref _failed);

    public long DlqWrites => Interlocked.Read(ref _dlq);

    internal void SegmentWritten(long bytes, int pushes)
    {
        Interlocked.Increment(ref _objects);
        Interlocked.Add(ref _bytes, bytes);
        Interlocked.Add(ref _pushes, pushes);
    }

    internal void SegmentFailed() => Interlocked.Increment(ref _failed);

    internal void DlqWritten() => Interlocked.Increment(ref _dlq);
}
