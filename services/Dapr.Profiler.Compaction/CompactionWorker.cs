using System.Globalization;
using Dapr.Profiler.Block;
using Dapr.Profiler.Mesh;
using Dapr.Profiler.ObjectStorage;
using Dapr.Profiler.Protos.Compaction;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Dapr.Profiler.Compaction;

/// <summary>
/// The <c>compaction-worker</c>: takes jobs from the <c>compaction-jobs</c> topic (at-least-once), merges the sources
/// (<see cref="BlockCompactor"/>), writes the outputs under their deterministic ids and reports to the shard's
/// scheduler actor, which commits. A job delivered twice, or after its lease moved on, writes the same objects and
/// is answered as a no-op or a stale token; only transient failures ask for redelivery.
/// </summary>
public sealed partial class CompactionWorker(
    IObjectStore store, IActorInvoker actors, IOptions<CompactionOptions> options, CompactionMetrics metrics, ILogger<CompactionWorker> logger)
{
    /// <summary>The subscription the worker registers (route <c>/events/compaction-jobs</c> under Dapr).</summary>
    public Subscription Subscription => new(CompactionNames.PubSub, CompactionNames.JobsTopic, CompactionNames.JobsRoute, null, HandleAsync);

    /// <summary>
    /// Runs one job and reports it; returns the scheduler's answer. While it merges, the worker renews its lease
    /// every third of <see cref="CompactionOptions.LeaseDuration"/>, so a long merge keeps its job; if the scheduler
    /// says the token is no longer current, the work is abandoned (another worker has the job).
    /// </summary>
    public async Task<CompleteJobResponse> RunAsync(CompactionJob job, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        using var work = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var renewal = RenewWhileRunningAsync(job, work);
        List<CompactedBlock> outputs;
        try
        {
            outputs = await BlockCompactor.RunAsync(job, store, options.Value.CompressionLevel, work.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new CompleteJobResponse { Outcome = CompleteJobOutcome.StaleToken, Reason = $"the lease of job {job.Name} moved to another worker" };
        }
        finally
        {
            await work.CancelAsync();
            await renewal;
        }

        var report = new CompleteJobRequest { Name = job.Name, Token = job.Token };
        report.Outputs.AddRange(outputs.Select(o => o.Meta));
        var answer = await actors.InvokeAsync<CompleteJobRequest, CompleteJobResponse>(
            DaprNames.Actors.CompactionScheduler,
            new ActorId(job.Shard.ToString(CultureInfo.InvariantCulture)),
            DaprNames.Actors.CompactionSchedulerCompleteJob,
            report,
            cancellationToken);
        var bytes = 0L;
        outputs.ForEach(o => bytes += o.Bytes.Length);
        LogJobDone(logger, job.Name, job.Sources.Count, outputs.Count, bytes, answer.Outcome);
        return answer;
    }

    private async Task RenewWhileRunningAsync(CompactionJob job, CancellationTokenSource work)
    {
        var actor = new ActorId(job.Shard.ToString(CultureInfo.InvariantCulture));
        try
        {
            while (true)
            {
                await Task.Delay(options.Value.LeaseDuration / 3, work.Token);
                var answer = await actors.InvokeAsync<RenewLeaseRequest, RenewLeaseResponse>(
                    DaprNames.Actors.CompactionScheduler,
                    actor,
                    DaprNames.Actors.CompactionSchedulerRenewLease,
                    new RenewLeaseRequest { Name = job.Name, Token = job.Token },
                    work.Token);
                if (!answer.Renewed)
                {
                    await work.CancelAsync();
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The job finished (or was given up).
        }
        catch (ServiceException ex)
        {
            // The scheduler is unreachable: keep merging; the commit will tell whether the lease held.
            LogRenewFailed(logger, ex, job.Name);
        }
    }

    private async Task<TopicResult> HandleAsync(TopicEvent topicEvent, CancellationToken cancellationToken)
    {
        CompactionJob job;
        try
        {
            job = CompactionJob.Parser.ParseFrom(topicEvent.Data.Span);
        }
        catch (InvalidProtocolBufferException ex)
        {
            LogBadJob(logger, ex, topicEvent.Id);
            return TopicResult.Drop;
        }

        try
        {
            await RunAsync(job, cancellationToken);
            return TopicResult.Success;
        }
        catch (BlockFormatException ex)
        {
            // A damaged source never gets better: the lease expires and the scheduler gives the job up.
            metrics.JobFailed(job.Level);
            LogJobFailed(logger, ex, job.Name);
            return TopicResult.Drop;
        }
        catch (Exception ex) when (ex is ObjectStoreException or ServiceException)
        {
            metrics.JobFailed(job.Level);
            LogJobFailed(logger, ex, job.Name);
            return TopicResult.Retry;
        }
    }

    [LoggerMessage(EventId = 6020, EventName = "CompactionJobDone", Level = LogLevel.Debug,
        Message = "Compaction job {Job}: {Sources} blocks merged into {Outputs} ({Bytes} bytes); scheduler: {Outcome}")]
    private static partial void LogJobDone(ILogger logger, string job, int sources, int outputs, long bytes, CompleteJobOutcome outcome);

    [LoggerMessage(EventId = 6021, EventName = "CompactionJobFailed", Level = LogLevel.Warning,
        Message = "Compaction job {Job} failed")]
    private static partial void LogJobFailed(ILogger logger, Exception exception, string job);

    [LoggerMessage(EventId = 6023, EventName = "CompactionLeaseRenewFailed", Level = LogLevel.Warning,
        Message = "Renewing the lease of compaction job {Job} failed; merging on")]
    private static partial void LogRenewFailed(ILogger logger, Exception exception, string job);

    [LoggerMessage(EventId = 6022, EventName = "CompactionJobUnreadable", Level = LogLevel.Error,
        Message = "Compaction event {EventId} is not a job; dropped")]
    private static partial void LogBadJob(ILogger logger, Exception exception, string eventId);
}
