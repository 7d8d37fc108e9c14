using System.Collections.Concurrent;
using Dapr.Profiler.Block;
using Dapr.Profiler.Mesh;
using Dapr.Profiler.Metastore.Client;
using Dapr.Profiler.Model;
using Dapr.Profiler.ObjectStorage;
using Dapr.Profiler.Protos.SegmentWriter;
using Google.Protobuf;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Dapr.Profiler.SegmentWriter;

/// <summary>
/// Buffers pushed profiles per shard and, every segment window, writes one object per shard holding every
/// tenant's datasets, registers it in the metastore, and only then acknowledges every push that went into it.
/// </summary>
/// <remarks>
/// A push waits at most one window plus the flush of its own segment: closing a segment is a swap under the
/// shard's lock, and flushes run in the background, so a slow flush never blocks newer pushes. On shutdown the
/// writer keeps flushing while the web server drains in-flight requests, then flushes what is left and closes.
/// </remarks>
public sealed partial class SegmentWriterService(
    IOptions<SegmentWriterOptions> options,
    IObjectStore store,
    IMetastoreClient metastore,
    SegmentWriterMetrics metrics,
    TimeProvider time,
    ILogger<SegmentWriterService> logger) : IHostedLifecycleService, IAsyncDisposable
{
    private readonly SegmentWriterOptions _options = options.Value;
    private readonly ConcurrentDictionary<uint, ShardState> _shards = new();
    private readonly ConcurrentDictionary<Task, bool> _flushes = new();
    private readonly CancellationTokenSource _stopping = new();
    private Task? _ticker;
    private volatile bool _closed;

    /// <summary>Appends a profile to its shard's open segment and completes once that segment is durable.</summary>
    /// <exception cref="ServiceException">Invalid request, shut down, or the segment could not be stored.</exception>
    public Task<PushResponse> PushAsync(PushRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (_closed)
        {
            throw new ServiceException(ServiceStatus.Unavailable, "the segment-writer is shut down");
        }

        var series = ToSeries(request);
        var size = request.Profile.CalculateSize();
        var shard = _shards.GetOrAdd(request.Shard, static s => new ShardState(s));
        var waiter = new TaskCompletionSource<PushResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
        Segment? full = null;
        lock (shard)
        {
            // Checked again under the lock: StoppedAsync closes every segment under the same locks, so a push
            // either lands in a segment that is still flushed or is refused here.
            if (_closed)
            {
                throw new ServiceException(ServiceStatus.Unavailable, "the segment-writer is shut down");
            }

            var segment = shard.Current ??= new Segment(shard.Id, Ulid.NewUlid(time.GetUtcNow()));
            foreach (var s in series)
            {
                segment.Writer.Add(request.TenantId, s);
            }

            segment.Waiters.Add(waiter);
            segment.Bytes += size;
            if (segment.Bytes >= _options.MaxSegmentBytes)
            {
                full = segment;
                shard.Current = null;
            }
        }

        if (full is not null)
        {
            StartFlush(full);
        }

        // The profile is in the segment now: a caller that stops waiting does not take it out again.
        return waiter.Task.WaitAsync(cancellationToken);
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _ticker = TickAsync(_stopping.Token);
        return Task.CompletedTask;
    }

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Keeps flushing: the web server is still draining in-flight pushes while hosted services stop.</summary>
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>After every request has finished: flush the open segments and wait for every flush.</summary>
    public async Task StoppedAsync(CancellationToken cancellationToken)
    {
        _closed = true;
        await _stopping.CancelAsync();
        if (_ticker is not null)
        {
            await _ticker;
        }

        // Flushes may start while we wait (a full segment closing); wait until none is left.
        CloseAllSegments();
        while (!_flushes.IsEmpty)
        {
            await Task.WhenAll(_flushes.Keys);
            await Task.Yield();
        }

        LogStopped(logger);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_closed)
        {
            await StoppedAsync(CancellationToken.None);
        }

        _stopping.Dispose();
    }

    private async Task TickAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.SegmentDuration, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                CloseAllSegments();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutdown: StoppedAsync flushes what is left.
        }
    }

    private void CloseAllSegments()
    {
        foreach (var shard in _shards.Values)
        {
            Segment? closed;
            lock (shard)
            {
                closed = shard.Current;
                shard.Current = null;
            }

            if (closed is { IsEmpty: false })
            {
                StartFlush(closed);
            }
        }
    }

    private void StartFlush(Segment segment)
    {
        var task = Task.Run(() => FlushAsync(segment));
        _flushes.TryAdd(task, true);
        _ = task.ContinueWith(t => _flushes.TryRemove(t, out _), TaskScheduler.Default);
    }

    private async Task FlushAsync(Segment segment)
    {
        var started = time.GetTimestamp();
        try
        {
            var (bytes, meta) = segment.Writer.Build(segment.Id.ToString(), segment.Shard, 0, _options.InstanceName);
            meta.Size = (ulong)bytes.Length;
            await UploadAsync(segment.ObjectKey, bytes);
            await RegisterAsync(segment, meta);
            // Counted before the pushes are released, so /metrics never lags an acknowledgement.
            metrics.SegmentWritten(bytes.Length, segment.Waiters.Count);
            var response = new PushResponse { BlockId = segment.Id.ToString() };
            foreach (var waiter in segment.Waiters)
            {
                waiter.TrySetResult(response);
            }

            var elapsed = time.GetElapsedTime(started);
            LogSegmentWritten(logger, segment.ObjectKey, bytes.Length, segment.Waiters.Count, elapsed.TotalMilliseconds);
        }
        catch (Exception ex)
        {
            metrics.SegmentFailed();
            LogSegmentFailed(logger, ex, segment.ObjectKey, segment.Waiters.Count);
            var error = ex as ServiceException
                ?? new ServiceException(ServiceStatus.Unavailable, $"the segment holding this profile could not be stored: {ex.Message}", ex);
            foreach (var waiter in segment.Waiters)
            {
                waiter.TrySetException(error);
            }
        }
    }

    private async Task RegisterAsync(Segment segment, Protos.Block.BlockMeta meta)
    {
        try
        {
            using var timeout = new CancellationTokenSource(_options.AddBlockTimeout);
            await metastore.AddBlockAsync(new Protos.Metastore.AddBlockRequest { Block = meta }, timeout.Token);
        }
        catch (Exception ex) when (_options.MetadataDlqEnabled)
        {
            // The object is stored; its metadata goes where the metastore will find it and register it later.
            LogAddBlockFailed(logger, ex, segment.ObjectKey, segment.DlqKey);
            await UploadAsync(segment.DlqKey, meta.ToByteArray());
            metrics.DlqWritten();
        }
    }

    private async Task UploadAsync(string key, byte[] bytes)
    {
        var delay = TimeSpan.FromMilliseconds(50);
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                using var timeout = new CancellationTokenSource(_options.UploadTimeout);
                await store.PutAsync(key, bytes, timeout.Token);
                return;
            }
            catch (Exception ex) when (attempt < _options.UploadRetries && ex is ObjectStoreException or OperationCanceledException or IOException)
            {
                LogUploadRetry(logger, ex, key, attempt + 1);
                await Task.Delay(delay, time);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.TicksPerSecond));
            }
        }
    }

    private static List<ProfileSeries> ToSeries(PushRequest request)
    {
        if (request.Shard == 0)
        {
            throw new ServiceException(ServiceStatus.InvalidArgument, "shard 0 is not a shard (shard ids start at 1)");
        }

        if (request.Profile is null || request.Series.Count == 0)
        {
            throw new ServiceException(ServiceStatus.InvalidArgument, "a push needs a profile and at least one series");
        }

        var result = new List<ProfileSeries>(request.Series.Count);
        foreach (var s in request.Series)
        {
            if (!ProfileTypeId.TryParse(s.ProfileType, out var type, out var error))
            {
                throw new ServiceException(ServiceStatus.InvalidArgument, error);
            }

            if (s.ValueIndex < 0 || s.ValueIndex >= request.Profile.SampleType.Count)
            {
                throw new ServiceException(ServiceStatus.InvalidArgument, $"value index {s.ValueIndex} is not a sample type of the profile");
            }

            var samples = s.SampleIndexes.Count == 0 ? null : s.SampleIndexes;
            if (samples is not null && samples.Any(i => (uint)i >= (uint)request.Profile.Sample.Count))
            {
                throw new ServiceException(ServiceStatus.InvalidArgument, "a sample index is not a sample of the profile");
            }

            var labels = LabelSet.Create(s.Labels.Select(l => new LabelPair(l.Name, l.Value)));
            result.Add(new ProfileSeries(labels, type, request.Profile, s.ValueIndex, s.TimestampNanos, samples));
        }

        return result;
    }

    /// <summary>The open segment of one shard; its lock guards <see cref="Current"/>.</summary>
    private sealed class ShardState(uint id)
    {
        public uint Id { get; } = id;

        public Segment? Current { get; set; }
    }

    [LoggerMessage(EventId = 5000, Level = LogLevel.Debug, Message = "segment {Key} written: {Bytes} bytes, {Pushes} pushes, {Milliseconds:0.0} ms")]
    private static partial void LogSegmentWritten(ILogger logger, string key, int bytes, int pushes, double milliseconds);

    [LoggerMessage(EventId = 5001, Level = LogLevel.Error, Message = "segment {Key} could not be stored; {Pushes} pushes fail")]
    private static partial void LogSegmentFailed(ILogger logger, Exception exception, string key, int pushes);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Warning, Message = "metastore did not register {Key}; metadata written to {DlqKey}")]
    private static partial void LogAddBlockFailed(ILogger logger, Exception exception, string key, string dlqKey);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Warning, Message = "upload of {Key} failed (attempt {Attempt}); retrying")]
    private static partial void LogUploadRetry(ILogger logger, Exception exception, string key, int attempt);

    [LoggerMessage(EventId = 5004, Level = LogLevel.Information, Message = "segment-writer stopped; every open segment was flushed")]
    private static partial void LogStopped(ILogger logger);
}
