using Dapr.Profiler.Protos.Block;
using Dapr.Profiler.Protos.Metastore;
using Google.Protobuf;

namespace Dapr.Profiler.Metastore;

public sealed partial class MetastoreNode
{
    /// <summary>The most commands one commit covers (group commit).</summary>
    private const int MaxBatch = 256;

    /// <summary>Set when a commit failed: the log is reopened (and the state rebuilt from it) before the next write.</summary>
    private bool _faulted;

    /// <summary>
    /// Indexes a block. Returns once the command is durable in the log and applied: from then on every query sees
    /// the block, also after a restart. Adding a block that is already indexed succeeds without logging anything.
    /// </summary>
    /// <remarks>
    /// Concurrent calls are group-committed: whoever holds the write gate appends every queued command, commits
    /// once (one fsync) and applies them in order. Once queued, a write completes even if
    /// <paramref name="cancellationToken"/> is cancelled, so that a cancelled caller cannot leave a half-done write.
    /// </remarks>
    /// <exception cref="MetastoreInvalidRequestException">The metadata is invalid or too large for one log record.</exception>
    /// <exception cref="MetastoreUnavailableException">Not ready, shutting down, or the log failed to persist it (nothing was applied).</exception>
    public async Task AddBlockAsync(BlockMeta block, CancellationToken cancellationToken)
    {
        BlockMetaValidation.Validate(block);
        var state = await GetStateAsync(cancellationToken);
        if (state.Contains(block.Id))
        {
            return;
        }

        await ProposeAsync(new Command { AddBlock = new AddBlockRequest { Block = block.Clone() } }, block.Id, cancellationToken);
    }

    /// <summary>
    /// Logs a command, stamped with the current time, and applies it once durable; returns its answer. Concurrent
    /// proposals share commits (group commit). Once queued, the write completes even if the caller is cancelled.
    /// </summary>
    /// <param name="command">The command (its <c>now</c> is set here).</param>
    /// <param name="blockId">For AddBlock: the block id, so a block queued twice in one batch is logged once.</param>
    /// <param name="cancellationToken">Cancels the wait for readiness only.</param>
    /// <exception cref="MetastoreInvalidRequestException">The command is too large for one log record.</exception>
    /// <exception cref="MetastoreUnavailableException">Not ready, shutting down, or the log failed to persist it (nothing was applied).</exception>
    internal async Task<IMessage?> ProposeAsync(Command command, string? blockId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        await GetStateAsync(cancellationToken);
        command.Now = _timeProvider.GetUtcNow().ToUnixTimeMilliseconds();
        var payload = command.ToByteArray();
        var maxPayload = _options.LogPageSizeBytes - CommandCodec.Overhead - 64;
        if (payload.Length > maxPayload)
        {
            throw new MetastoreInvalidRequestException(
                $"the {command.CommandCase} command takes {payload.Length} bytes; one log record holds at most {maxPayload} (raise {nameof(MetastoreOptions.LogPageSizeBytes)})");
        }

        cancellationToken.ThrowIfCancellationRequested();
        var write = new PendingWrite(command, blockId, payload);
        _pending.Enqueue(write);
        await _writeGate.WaitAsync(CancellationToken.None);
        try
        {
            while (!write.Task.IsCompleted)
            {
                await ProcessBatchAsync();
            }
        }
        finally
        {
            _writeGate.Release();
        }

        return await write.Task;
    }

    /// <summary>Logs, commits and applies up to <see cref="MaxBatch"/> queued writes. The caller holds the gate.</summary>
    private async Task ProcessBatchAsync()
    {
        if (_disposed)
        {
            FailPending(new MetastoreUnavailableException("the metastore is shutting down"));
            return;
        }

        if (_faulted && !await TryReopenAsync())
        {
            return;
        }

        var state = _state!;
        var log = _log!;
        var logged = new List<PendingWrite>();
        var known = new List<PendingWrite>();
        var followers = new List<PendingWrite>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        while (logged.Count + known.Count + followers.Count < MaxBatch && _pending.TryDequeue(out var write))
        {
            if (write.BlockId is not null && state.Contains(write.BlockId))
            {
                known.Add(write);
            }
            else if (write.BlockId is not null && !ids.Add(write.BlockId))
            {
                // The same block twice in one batch: log it once, answer both alike.
                followers.Add(write);
            }
            else
            {
                logged.Add(write);
            }
        }

        if (logged.Count > 0)
        {
            try
            {
                var index = _lastIndex;
                foreach (var write in logged)
                {
                    log.Append(CommandCodec.Encode(++index, write.Payload));
                }

                await log.CommitAsync(CancellationToken.None);
                _lastIndex = index;
            }
            catch (Exception ex)
            {
                // Nothing was applied. The records may still be in FASTER's memory (and a later commit would persist
                // them), so the log is reopened before the next write and the state rebuilt from what is durable.
                _faulted = true;
                _logger.CommitFailed(ex, logged.Count + followers.Count);
                var error = new MetastoreUnavailableException("the metastore log failed to persist the write; it was not applied", ex);
                logged.ForEach(w => w.Fail(error));
                followers.ForEach(w => w.Fail(error));
                known.ForEach(w => w.Succeed(null));
                return;
            }

            var first = _lastIndex - logged.Count + 1;
            var results = state.Apply(logged.Select((w, i) => new LoggedCommand(first + i, w.Command)).ToList());
            _commandsSinceSnapshot += logged.Count;
            for (var i = 0; i < logged.Count; i++)
            {
                logged[i].Succeed(results[i]);
            }

            NotifyBlocksAdded(logged);
        }


        followers.ForEach(w => w.Succeed(null));
        known.ForEach(w => w.Succeed(null));
        MaybeStartSnapshot();
    }

    /// <summary>
    /// Raised (on the writing thread, after the blocks are durable and visible) with the shard of every block that a
    /// batch indexed; compaction uses it to wake the shard's scheduler. Handlers must be quick and must not throw.
    /// </summary>
    public event Action<uint>? BlockAdded;

    private void NotifyBlocksAdded(List<PendingWrite> logged)
    {
        if (BlockAdded is not { } handler)
        {
            return;
        }

        foreach (var shard in logged.Where(w => w.Command.AddBlock is not null).Select(w => w.Command.AddBlock.Block.Shard).Distinct())
        {
            try
            {
                handler(shard);
            }
            catch (Exception ex)
            {
                // A listener must never fail a write that is already durable and applied.
                _logger.BlockAddedHandlerFailed(ex, shard);
            }
        }
    }

    private async Task<bool> TryReopenAsync()
    {
        try
        {
            await RecoverAsync(initial: false);
            _logger.LogReopened(_state!.Count);
            return true;
        }
        catch (Exception ex)
        {
            FailPending(new MetastoreUnavailableException("the metastore log cannot be reopened after a failure", ex));
            return false;
        }
    }

    /// <summary>A queued write and its caller's completion (with the command's answer).</summary>
    private sealed class PendingWrite(Command command, string? blockId, byte[] payload)
    {
        private readonly TaskCompletionSource<IMessage?> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Command Command { get; } = command;

        public string? BlockId { get; } = blockId;

        public byte[] Payload { get; } = payload;

        public Task<IMessage?> Task => _completion.Task;

        public void Succeed(IMessage? result) => _completion.TrySetResult(result);

        public void Fail(Exception error) => _completion.TrySetException(error);
    }
}
