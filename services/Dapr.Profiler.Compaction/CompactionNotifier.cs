using System.Collections.Concurrent;
using System.Globalization;
using Dapr.Profiler.Mesh;
using Dapr.Profiler.Protos.Compaction;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Dapr.Profiler.Compaction;

/// <summary>
/// Wakes the scheduler of a shard when the metastore indexed blocks in it: at most one <c>Poll</c> per shard per
/// <see cref="MinInterval"/>, sent in the background so the write path never waits for compaction. A lost wake-up
/// only delays compaction until the scheduler's own <c>poll</c> reminder.
/// </summary>
public sealed partial class CompactionNotifier(IActorInvoker actors, ILogger<CompactionNotifier> logger) : BackgroundService
{
    /// <summary>The shortest time between two wake-ups of one shard.</summary>
    public static readonly TimeSpan MinInterval = TimeSpan.FromMilliseconds(500);

    private readonly ConcurrentDictionary<uint, byte> _dirty = new();
    private readonly SemaphoreSlim _signal = new(0, int.MaxValue);

    /// <summary>Marks a shard as having new blocks (cheap; called on the metastore's write path).</summary>
    public void Notify(uint shard)
    {
        if (_dirty.TryAdd(shard, 0))
        {
            _signal.Release();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await _signal.WaitAsync(stoppingToken);
                await Task.Delay(MinInterval, stoppingToken);
                foreach (var shard in _dirty.Keys.Order().ToList())
                {
                    _dirty.TryRemove(shard, out _);
                    try
                    {
                        await actors.InvokeAsync<PollRequest, PollResponse>(
                            DaprNames.Actors.CompactionScheduler,
                            new ActorId(shard.ToString(CultureInfo.InvariantCulture)),
                            DaprNames.Actors.CompactionSchedulerPoll,
                            new PollRequest(),
                            stoppingToken);
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                    {
                        LogPollFailed(logger, ex, shard);
                    }
                }

                // Drain signals whose shards were handled in this round.
                while (_signal.CurrentCount > _dirty.Count)
                {
                    await _signal.WaitAsync(stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // stopping
        }
    }

    public override void Dispose()
    {
        _signal.Dispose();
        base.Dispose();
    }

    [LoggerMessage(EventId = 6010, EventName = "CompactionPollFailed", Level = LogLevel.Warning,
        Message = "Waking the compaction scheduler of shard {Shard} failed; its reminder polls later")]
    private static partial void LogPollFailed(ILogger logger, Exception exception, uint shard);
}
