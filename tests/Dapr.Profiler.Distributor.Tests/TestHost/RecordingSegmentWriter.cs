using System.Collections.Concurrent;
using Dapr.Profiler.Protos.SegmentWriter;
using Dapr.Profiler.SegmentWriter;

namespace Dapr.Profiler.Distributor.Tests;

/// <summary>
/// A segment-writer that records what it is asked to store. <see cref="Failure"/> makes pushes fail;
/// <see cref="Gate"/> holds every push until it is released.
/// </summary>
internal sealed class RecordingSegmentWriter : ISegmentWriterClient
{
    private readonly ConcurrentQueue<PushRequest> _requests = new();
    private int _started;

    /// <summary>Returns the exception a push fails with, or null to store it.</summary>
    public Func<PushRequest, Exception?>? Failure { get; set; }

    /// <summary>When set, every push waits for it before it completes.</summary>
    public Task? Gate { get; set; }

    /// <summary>Completed once <see cref="ExpectStarted"/> pushes have started.</summary>
    public TaskCompletionSource AllStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int ExpectStarted { get; set; } = int.MaxValue;

    public IReadOnlyList<PushRequest> Requests => [.. _requests];

    public async Task<PushResponse> PushAsync(PushRequest request, CancellationToken cancellationToken)
    {
        if (Interlocked.Increment(ref _started) == ExpectStarted)
        {
            AllStarted.TrySetResult();
        }

        if (Gate is { } gate)
        {
            await gate.WaitAsync(cancellationToken);
        }

        if (Failure?.Invoke(request) is { } failure)
        {
            throw failure;
        }

        _requests.Enqueue(request);
        return new PushResponse { BlockId = "01TESTBLOCK" };
    }
}
