using System.Globalization;
using Dapr.Profiler.Mesh;
using Dapr.Profiler.Metastore.Client;
using Dapr.Profiler.Protos.Block;
using Dapr.Profiler.Protos.Compaction;
using Dapr.Profiler.Protos.Metastore;
using Google.Protobuf;
using Microsoft.Extensions.Logging;

namespace Dapr.Profiler.Compaction;

/// <summary>
/// The compaction scheduler of one shard (actor id = the shard number). It batches the shard's blocks that the
/// metastore lists below the final level (<see cref="CompactionPlanner"/>), turns ready batches into jobs, leases
/// each job through the metastore (the lease's log index is the fencing token) and publishes it on
/// <c>compaction-jobs</c>; a worker reports back with <see cref="CompleteJobAsync"/> and the actor commits the job
/// with <c>ReplaceBlocks</c>.
/// <para>
/// Durable reminders drive everything that must happen without a call: <c>poll</c> (every
/// <see cref="CompactionOptions.ReconcileInterval"/>: re-read the shard, so a lost notification only delays),
/// <c>force</c> (when the oldest open batch reaches its age limit) and <c>lease</c> (when the earliest lease expires:
/// the job is leased again with a new token, or given up after <see cref="CompactionOptions.MaxFailures"/> expiries).
/// The actor's state holds only its jobs and given-up blocks; batches are recomputed from the metastore at every
/// poll, so a scheduler that restarts loses neither.
/// </para>
/// </summary>
public sealed partial class CompactionSchedulerActor : Actor, IRemindable
{
    internal const string StateName = "scheduler";
    internal const string PollReminder = "poll";
    internal const string ForceReminder = "force";
    internal const string LeaseReminder = "lease";

    private readonly IMetastoreCompactionClient _metastore;
    private readonly IPublisher _publisher;
    private readonly CompactionOptions _options;
    private readonly CompactionMetrics _metrics;

    // What this activation last wrote, so a poll that changes nothing writes nothing (each write is durable).
    private readonly Dictionary<string, DateTimeOffset?> _armed = new(StringComparer.Ordinal);
    private byte[]? _saved;

    public CompactionSchedulerActor(ActorHost host, IMetastoreCompactionClient metastore, IPublisher publisher, CompactionOptions options, CompactionMetrics metrics)
        : base(host)
    {
        _metastore = metastore;
        _publisher = publisher;
        _options = options;
        _metrics = metrics;
        Shard = uint.Parse(host.Id.Id, NumberStyles.None, CultureInfo.InvariantCulture);
    }

    public uint Shard { get; }

    private DateTimeOffset Now => Host.TimeProvider.GetUtcNow();

    /// <summary>Plans and leases jobs for the shard's waiting blocks; re-leases or gives up expired jobs.</summary>
    public async Task<PollResponse> PollAsync(PollRequest request, CancellationToken cancellationToken)
    {
        var state = await LoadAsync(cancellationToken);
        var created = await PollCoreAsync(state, cancellationToken);
        return new PollResponse { JobsCreated = created, JobsInFlight = state.Jobs.Count };
    }

    /// <summary>A worker finished a job: commit it if its token is the current lease.</summary>
    public async Task<CompleteJobResponse> CompleteJobAsync(CompleteJobRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var state = await LoadAsync(cancellationToken);
        var job = state.Jobs.FirstOrDefault(j => j.Name == request.Name);
        if (job is null)
        {
            return new CompleteJobResponse { Outcome = CompleteJobOutcome.NoOp, Reason = $"job {request.Name} is not scheduled (committed or given up)" };
        }

        if (job.Token != request.Token)
        {
            _metrics.JobStale(job.Level);
            return new CompleteJobResponse { Outcome = CompleteJobOutcome.StaleToken, Reason = $"job {job.Name} is leased with token {job.Token}, not {request.Token}" };
        }

        var replace = new ReplaceBlocksRequest { Job = job.Name, Token = job.Token, Shard = Shard };
        replace.SourceBlockIds.AddRange(job.SourceBlockIds);
        replace.Outputs.AddRange(request.Outputs);
        var result = await _metastore.ReplaceBlocksAsync(replace, cancellationToken);
        if (result.Outcome == ReplaceBlocksOutcome.StaleToken)
        {
            _metrics.JobStale(job.Level);
            return new CompleteJobResponse { Outcome = CompleteJobOutcome.StaleToken, Reason = result.Reason };
        }

        state.Jobs.Remove(job);
        var committed = result.Outcome == ReplaceBlocksOutcome.Applied;
        if (committed)
        {
            _metrics.JobCommitted(job.Level, Now - CompactionJobs.OldestSourceTime(job));
            LogCommitted(Logger, job.Name, job.SourceBlockIds.Count, request.Outputs.Count);
        }
        else
        {
            _metrics.JobNoOp(job.Level);
            LogNoOp(Logger, job.Name, result.Reason);
        }

        await SaveAsync(state, cancellationToken);

        // The outputs may complete a batch of the next level.
        await PollCoreAsync(state, cancellationToken);
        return new CompleteJobResponse
        {
            Outcome = committed ? CompleteJobOutcome.Committed : CompleteJobOutcome.NoOp,
            Reason = result.Reason,
        };
    }

    /// <summary>A worker still merging extends its lease (only the current token can).</summary>
    public async Task<RenewLeaseResponse> RenewLeaseAsync(RenewLeaseRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var state = await LoadAsync(cancellationToken);
        var job = state.Jobs.FirstOrDefault(j => j.Name == request.Name);
        if (job is null || job.Token != request.Token)
        {
            return new RenewLeaseResponse { Renewed = false };
        }

        job.LeaseExpiresAt = (Now + _options.LeaseDuration).ToUnixTimeMilliseconds();
        await SaveAsync(state, cancellationToken);
        await ArmAsync(LeaseReminder, DateTimeOffset.FromUnixTimeMilliseconds(state.Jobs.Min(j => j.LeaseExpiresAt)), Now);
        return new RenewLeaseResponse { Renewed = true, LeaseExpiresAt = job.LeaseExpiresAt };
    }

    public async Task ReceiveReminderAsync(string reminderName, byte[]? state, TimeSpan dueTime, TimeSpan period)
    {
        // A one-shot reminder that fired is gone: arm it again whatever time it had.
        _armed.Remove(reminderName);
        var current = await LoadAsync(CancellationToken.None);
        await PollCoreAsync(current, CancellationToken.None);
    }

    protected override Task OnActivateAsync() =>
        RegisterReminderAsync(PollReminder, null, _options.ReconcileInterval, _options.ReconcileInterval);

    private async Task<int> PollCoreAsync(SchedulerState state, CancellationToken cancellationToken)
    {
        var now = Now;
        var listing = await _metastore.CompactableBlocksAsync(
            new CompactableBlocksRequest { Shard = Shard, BelowLevel = (uint)_options.FinalLevel }, cancellationToken);
        var blocks = listing.Blocks.ToDictionary(b => b.Id, StringComparer.Ordinal);

        // Jobs whose sources left the index (committed by an earlier lease, or dropped by retention) are done.
        foreach (var job in state.Jobs.Where(j => !j.SourceBlockIds.All(blocks.ContainsKey)).ToList())
        {
            state.Jobs.Remove(job);
            _metrics.JobNoOp(job.Level);
        }

        // Expired leases: lease again with a new token, or give up.
        foreach (var job in state.Jobs.Where(j => j.LeaseExpiresAt <= now.ToUnixTimeMilliseconds()).ToList())
        {
            job.Failures++;
            _metrics.LeaseExpired(job.Level);
            if (job.Failures >= _options.MaxFailures)
            {
                state.Jobs.Remove(job);
                state.AbandonedBlockIds.AddRange(job.SourceBlockIds);
                _metrics.JobAbandoned(job.Level);
                LogAbandoned(Logger, job.Name, job.Failures);
                continue;
            }

            LogReleased(Logger, job.Name, job.Failures);
            if (!await LeaseAndPublishAsync(state, job, blocks, now, cancellationToken))
            {
                state.Jobs.Remove(job);
            }
        }

        // Given-up blocks stay out of batches while they are listed.
        var abandoned = state.AbandonedBlockIds.Where(blocks.ContainsKey).Distinct(StringComparer.Ordinal).ToList();
        state.AbandonedBlockIds.Clear();
        state.AbandonedBlockIds.AddRange(abandoned);

        var created = 0;
        DateTimeOffset? nextForced = null;
        if (_options.Enabled)
        {
            var busy = new HashSet<string>(state.Jobs.SelectMany(j => j.SourceBlockIds).Concat(abandoned), StringComparer.Ordinal);
            var plan = CompactionPlanner.Plan(blocks.Values.Where(b => !busy.Contains(b.Id)), now, _options);
            nextForced = plan.NextForcedAt;
            foreach (var batch in plan.Ready)
            {
                if (state.Jobs.Count >= _options.MaxJobsInFlight)
                {
                    // The rest waits for a completion (which polls again) or the next reminder.
                    nextForced = now + _options.LeaseDuration;
                    break;
                }

                var job = CompactionJobs.Create(batch, now);
                state.Jobs.Add(job);
                if (await LeaseAndPublishAsync(state, job, blocks, now, cancellationToken))
                {
                    created++;
                    _metrics.JobCreated(job.Level, batch.Forced);
                    LogCreated(Logger, job.Name, job.SourceBlockIds.Count, batch.Forced);
                }
                else
                {
                    state.Jobs.Remove(job);
                }
            }
        }

        await SaveAsync(state, cancellationToken);
        await ArmAsync(ForceReminder, nextForced, now);
        await ArmAsync(LeaseReminder, state.Jobs.Count == 0 ? null : DateTimeOffset.FromUnixTimeMilliseconds(state.Jobs.Min(j => j.LeaseExpiresAt)), now);
        return created;
    }

    /// <summary>
    /// Leases the job in the metastore (a new fencing token), saves the state, then publishes the job. The state is
    /// saved first, so a crash after publishing never leaves a job the actor does not know.
    /// </summary>
    /// <returns>False when a source is no longer indexed (the job is dropped).</returns>
    private async Task<bool> LeaseAndPublishAsync(
        SchedulerState state, CompactionJob job, Dictionary<string, BlockMeta> blocks, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var lease = new LeaseJobRequest { Job = job.Name };
        lease.SourceBlockIds.AddRange(job.SourceBlockIds);
        var leased = await _metastore.LeaseJobAsync(lease, cancellationToken);
        if (!leased.SourcesPresent)
        {
            return false;
        }

        job.Token = leased.Token;
        job.LeaseExpiresAt = (now + _options.LeaseDuration).ToUnixTimeMilliseconds();
        job.RetentionEdges.Clear();
        job.RetentionEdges.Add(leased.RetentionEdges);
        await SaveAsync(state, cancellationToken);

        var message = job.Clone();
        message.Sources.AddRange(job.SourceBlockIds.Select(id => blocks[id]));
        await _publisher.PublishAsync(
            CompactionNames.PubSub, CompactionNames.JobsTopic, message.ToByteArray(), CompactionNames.ContentType, cancellationToken);
        return true;
    }

    /// <summary>Registers a one-shot reminder at <paramref name="at"/>, or removes it when there is nothing to wait for.</summary>
    private async Task ArmAsync(string name, DateTimeOffset? at, DateTimeOffset now)
    {
        if (_armed.TryGetValue(name, out var armed) && armed == at && (at is null || at > now))
        {
            return;
        }

        _armed[name] = at;
        if (at is not { } time)
        {
            await UnregisterReminderAsync(name);
            return;
        }

        var due = time - now;
        await RegisterReminderAsync(name, null, due < TimeSpan.FromMilliseconds(10) ? TimeSpan.FromMilliseconds(10) : due, Timeout.InfiniteTimeSpan);
    }

    private async Task<SchedulerState> LoadAsync(CancellationToken cancellationToken)
    {
        var stored = await StateManager.TryGetStateAsync<SchedulerState>(StateName, cancellationToken);
        return stored.HasValue ? stored.Value : new SchedulerState();
    }

    private async Task SaveAsync(SchedulerState state, CancellationToken cancellationToken)
    {
        var bytes = state.ToByteArray();
        if (_saved is not null && bytes.AsSpan().SequenceEqual(_saved))
        {
            return;
        }

        await StateManager.SetStateAsync(StateName, state, cancellationToken);
        await StateManager.SaveStateAsync(cancellationToken);
        _saved = bytes;
    }

    [LoggerMessage(EventId = 6000, EventName = "CompactionJobCreated", Level = LogLevel.Debug,
        Message = "Compaction job {Job} created with {Sources} blocks (forced: {Forced})")]
    private static partial void LogCreated(ILogger logger, string job, int sources, bool forced);

    [LoggerMessage(EventId = 6001, EventName = "CompactionJobCommitted", Level = LogLevel.Debug,
        Message = "Compaction job {Job} committed: {Sources} blocks replaced by {Outputs}")]
    private static partial void LogCommitted(ILogger logger, string job, int sources, int outputs);

    [LoggerMessage(EventId = 6002, EventName = "CompactionJobNoOp", Level = LogLevel.Information,
        Message = "Compaction job {Job} committed nothing: {Reason}")]
    private static partial void LogNoOp(ILogger logger, string job, string reason);

    [LoggerMessage(EventId = 6003, EventName = "CompactionLeaseExpired", Level = LogLevel.Warning,
        Message = "The lease of compaction job {Job} expired ({Failures} so far); leasing it again")]
    private static partial void LogReleased(ILogger logger, string job, int failures);

    [LoggerMessage(EventId = 6004, EventName = "CompactionJobAbandoned", Level = LogLevel.Error,
        Message = "Compaction job {Job} given up after {Failures} expired leases; its blocks stay at their level")]
    private static partial void LogAbandoned(ILogger logger, string job, int failures);
}
