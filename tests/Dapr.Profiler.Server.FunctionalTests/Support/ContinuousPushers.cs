using System.Collections.Concurrent;
using Dapr.Profiler.Server.FunctionalTests.Hosting;

namespace Dapr.Profiler.Server.FunctionalTests.Support;

/// <summary>
/// Clients that keep uploading (Go CPU and Node wall profiles, alternately, each with its own timestamp) one after
/// the other until the server stops acknowledging, so that pushes are in flight whenever the test strikes.
/// </summary>
public sealed class ContinuousPushers
{
    private readonly ConcurrentQueue<SentProfile> _sent = new();
    private readonly ConcurrentDictionary<long, bool> _startedBeforeMark = new();
    private readonly ConcurrentQueue<SentProfile> _acknowledgedAfterMark = new();
    private readonly TaskCompletionSource _enoughAcks = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly int _acksWanted;
    private int _next = -1;
    private int _acks;
    private int _marked;

    private ContinuousPushers(int acksWanted) => _acksWanted = acksWanted;

    /// <summary>Everything sent so far, with the answers.</summary>
    public IReadOnlyCollection<SentProfile> Sent => _sent;

    /// <summary>Pushes sent before <see cref="Mark"/> that were acknowledged after it (drained, not cut off).</summary>
    public IReadOnlyCollection<SentProfile> AcknowledgedAfterMark => _acknowledgedAfterMark;

    /// <summary>Completes when every pusher has stopped (each stops at its first push without a 200).</summary>
    public Task Completion { get; private set; } = Task.CompletedTask;

    /// <summary>Completes once <c>acksWanted</c> pushes were acknowledged.</summary>
    public Task Acknowledged => _enoughAcks.Task;

    public static ContinuousPushers Start(IProfilerServer server, string tenant, string service, int pushers, int acksWanted, CancellationToken cancellationToken)
    {
        var result = new ContinuousPushers(acksWanted);
        result.Completion = Task.WhenAll(Enumerable.Range(0, pushers).Select(_ => Task.Run(() => result.RunAsync(server, tenant, service, cancellationToken), cancellationToken)));
        return result;
    }

    /// <summary>Records that the test strikes now (signal, kill): pushes started from here on count as "after".</summary>
    public void Mark() => Volatile.Write(ref _marked, 1);

    public bool StartedBeforeMark(SentProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        return _startedBeforeMark.TryGetValue(profile.TimestampNanos, out var before) && before;
    }

    /// <summary>The pushes without a 200, each with when it started and what happened, for assertion messages.</summary>
    public string DescribeFailures() => string.Join(
        "\n",
        _sent.Where(p => !p.Acknowledged).Select(p => $"  {p.CorpusFile}@{p.TimestampNanos} (started before the mark: {StartedBeforeMark(p)}): {p.Failure}"));

    private async Task RunAsync(IProfilerServer server, string tenant, string service, CancellationToken cancellationToken)
    {
        while (true)
        {
            var i = Interlocked.Increment(ref _next);
            var file = i % 2 == 0 ? "go-cpu.pb.gz" : "node-wall.pb.gz";
            var profile = new SentProfile(tenant, service, file, Pusher.BaseTimestampNanos + (i * 1_000_000_000L));
            var before = Volatile.Read(ref _marked) == 0;
            _startedBeforeMark[profile.TimestampNanos] = before;
            _sent.Enqueue(profile);
            await Pusher.SendAsync(server, profile, sendTenantHeader: tenant != "anonymous", cancellationToken);
            if (!profile.Acknowledged)
            {
                return;
            }

            if (before && Volatile.Read(ref _marked) == 1)
            {
                _acknowledgedAfterMark.Enqueue(profile);
            }

            if (Interlocked.Increment(ref _acks) >= _acksWanted)
            {
                _enoughAcks.TrySetResult();
            }
        }
    }
}
