using Dapr.Profiler.Mesh;
using Dapr.Profiler.Protos.Distributor;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Dapr.Profiler.Distributor;

/// <summary>
/// This distributor's membership of the ring: it announces itself to the <c>DistributorRing</c> actor every
/// <see cref="DistributorOptions.RingHeartbeatInterval"/>, leaves on shutdown, and keeps the number of live
/// distributors that <see cref="IngestRateLimiter"/> divides the per-tenant rate by.
/// </summary>
/// <remarks>
/// Until the first answer, and whenever the actor cannot be reached, the last known count stays (1 at start): a
/// ring outage makes the limits looser for a while, never stricter, and never fails an ingestion.
/// </remarks>
public sealed partial class DistributorRing : BackgroundService
{
    private static readonly ActorId RingId = new(DaprNames.Actors.DistributorRingId);
    private readonly IActorInvoker? _actors;
    private readonly TimeSpan _interval;
    private readonly TimeProvider _time;
    private readonly ILogger<DistributorRing> _logger;
    private readonly bool _global;
    private volatile int _liveMembers = 1;
    private bool _unreachableLogged;
    private long _heartbeats;

    private readonly IHostApplicationLifetime? _lifetime;

    public DistributorRing(
        IOptions<DistributorOptions> options,
        TimeProvider time,
        ILogger<DistributorRing> logger,
        IActorInvoker? actors = null,
        IHostApplicationLifetime? lifetime = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);
        _actors = actors;
        _lifetime = lifetime;
        _interval = options.Value.RingHeartbeatInterval;
        _time = time;
        _logger = logger;
        _global = options.Value.IngestionRateStrategy == IngestionRateStrategy.Global && options.Value.IngestionRateBytesPerSecond > 0;
    }

    /// <summary>This process's member id.</summary>
    public string MemberId { get; } = Guid.NewGuid().ToString("N");

    /// <summary>Heartbeats the ring answered.</summary>
    public long Heartbeats => Interlocked.Read(ref _heartbeats);

    /// <summary>Live distributors, this one included (at least 1).</summary>
    public int LiveMembers => _liveMembers;

    /// <summary>Announces this distributor once and updates <see cref="LiveMembers"/>; false when the ring did not answer.</summary>
    public async Task<bool> HeartbeatAsync(CancellationToken cancellationToken)
    {
        if (_actors is null)
        {
            return false;
        }

        try
        {
            var response = await _actors.InvokeAsync<HeartbeatRequest, HeartbeatResponse>(
                DaprNames.Actors.DistributorRing,
                RingId,
                DaprNames.Actors.DistributorRingHeartbeat,
                new HeartbeatRequest { MemberId = MemberId, TtlMs = (long)(_interval * 3).TotalMilliseconds },
                cancellationToken);
            var live = Math.Max(1, response.LiveMembers);
            if (live != _liveMembers)
            {
                LogMembers(_logger, live);
            }

            _liveMembers = live;
            _unreachableLogged = false;
            Interlocked.Increment(ref _heartbeats);
            return true;
        }
        catch (ServiceException ex)
        {
            if (!_unreachableLogged)
            {
                _unreachableLogged = true;
                LogUnreachable(_logger, ex, _liveMembers);
            }

            return false;
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_global)
        {
            return;
        }

        if (_actors is null)
        {
            LogNoActors(_logger);
            return;
        }

        if (_lifetime is not null && !await StartedAsync(_lifetime, stoppingToken))
        {
            return;
        }

        using var timer = new PeriodicTimer(_interval, _time);
        do
        {
            await HeartbeatAsync(stoppingToken);
        }
        while (await WaitAsync(timer, stoppingToken));
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (_global && _actors is not null)
        {
            // Leave, so the others take over this share at once rather than after three intervals.
            try
            {
                await _actors.InvokeAsync<HeartbeatRequest, HeartbeatResponse>(
                    DaprNames.Actors.DistributorRing, RingId, DaprNames.Actors.DistributorRingHeartbeat,
                    new HeartbeatRequest { MemberId = MemberId, TtlMs = 0 }, cancellationToken);
            }
            catch (Exception ex) when (ex is ServiceException or OperationCanceledException)
            {
                LogLeaveFailed(_logger, ex);
            }
        }
    }

    /// <summary>Waits until every hosted service (the actor runtime included) has started.</summary>
    private static async Task<bool> StartedAsync(IHostApplicationLifetime lifetime, CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        using (stoppingToken.Register(() => started.TrySetCanceled(stoppingToken)))
        {
            try
            {
                await started.Task;
                return true;
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    [LoggerMessage(EventId = 4060, EventName = "Distributor.RingMembers", Level = LogLevel.Information,
        Message = "{LiveMembers} live distributors share the per-tenant ingestion rate")]
    private static partial void LogMembers(ILogger logger, int liveMembers);

    [LoggerMessage(EventId = 4061, EventName = "Distributor.RingUnreachable", Level = LogLevel.Warning,
        Message = "the distributor ring did not answer; the rate stays divided by {LiveMembers}")]
    private static partial void LogUnreachable(ILogger logger, Exception exception, int liveMembers);

    [LoggerMessage(EventId = 4062, EventName = "Distributor.RingWithoutActors", Level = LogLevel.Warning,
        Message = "no actor runtime in this process: the per-tenant ingestion rate applies per distributor")]
    private static partial void LogNoActors(ILogger logger);

    [LoggerMessage(EventId = 4063, EventName = "Distributor.RingLeaveFailed", Level = LogLevel.Debug,
        Message = "could not leave the distributor ring; the others notice after three heartbeat intervals")]
    private static partial void LogLeaveFailed(ILogger logger, Exception exception);
}
