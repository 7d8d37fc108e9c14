using System.Diagnostics.CodeAnalysis;
using Dapr.Profiler.Protos.Block;
using Dapr.Profiler.Protos.Metastore;
using Google.Protobuf;
using Microsoft.Extensions.Logging;

namespace Dapr.Profiler.Metastore;

/// <summary>
/// The state the command log builds: the block index. Every node that applies the same commands in the same order
/// reaches the same state, which is what lets a Raft layer replicate the metastore by replicating the log alone.
/// </summary>
/// <remarks>
/// <para>Contract for command handlers (one per <see cref="Command.CommandOneofCase"/>):</para>
/// <list type="bullet">
/// <item>they are <b>deterministic</b>: the outcome depends only on the state and the command (no clock, no
/// randomness, no I/O);</item>
/// <item>they <b>MUST be idempotent</b>: a command may be applied again after a crash between a snapshot and the
/// truncation of the log, after DLQ recovery re-adds a block, or when a client retries;</item>
/// <item>they never throw for a command that was logged: a command they cannot use is ignored (and logged), since
/// refusing it would stop every replica at the same log position forever.</item>
/// </list>
/// <para>Commands are applied by one writer at a time under the write lock; queries run concurrently under the read
/// lock, so they always see a state between two whole batches.</para>
/// </remarks>
[SuppressMessage("Reliability", "CA1001:Types that own disposable fields should be disposable",
    Justification = "ReaderWriterLockSlim only holds wait handles created under contention, which finalize; a state replaced after a log reopen may still serve in-flight queries, so it is left to the GC.")]
internal sealed class MetastoreStateMachine
{
    private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.NoRecursion);
    private readonly BlockIndex _index;
    private readonly ILogger _logger;

    public MetastoreStateMachine(MetastoreOptions options, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _index = new BlockIndex(options.PartitionDuration, options.MaxPartitionsPerDataset);
        _logger = logger;
    }

    /// <summary>Number of indexed blocks.</summary>
    public int Count => Read(static index => index.Count);

    /// <summary>Applies committed commands in log order, atomically for readers.</summary>
    /// <returns>Each command's answer (null for commands without one), in order.</returns>
    public IMessage?[] Apply(IReadOnlyList<LoggedCommand> commands)
    {
        ArgumentNullException.ThrowIfNull(commands);
        var results = new IMessage?[commands.Count];
        _lock.EnterWriteLock();
        try
        {
            for (var i = 0; i < commands.Count; i++)
            {
                results[i] = ApplyOne(commands[i]);
            }
        }
        finally
        {
            _lock.ExitWriteLock();
        }

        return results;
    }

    /// <summary>Loads a snapshot: its blocks and life-cycle state (the state as of the snapshot's log address).</summary>
    public void Restore(IEnumerable<BlockMeta> blocks, SnapshotExtra? extra)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        _lock.EnterWriteLock();
        try
        {
            if (extra is not null)
            {
                _index.RestoreExtra(extra);
            }

            foreach (var block in blocks)
            {
                AddBlock(block, now: null);
            }
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>Runs a query against a consistent state (concurrently with other queries).</summary>
    public T Read<T>(Func<BlockIndex, T> query)
    {
        ArgumentNullException.ThrowIfNull(query);
        _lock.EnterReadLock();
        try
        {
            return query(_index);
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    public bool Contains(string blockId) => Read(index => index.Contains(blockId));

    /// <summary>Every indexed block's metadata and the life-cycle state (for a snapshot; the instances are immutable).</summary>
    public (List<BlockMeta> Blocks, SnapshotExtra Extra) Capture() => Read(static index => (index.Blocks.ToList(), index.CaptureExtra()));

    private IMessage? ApplyOne(LoggedCommand logged)
    {
        var command = logged.Command;
        switch (command.CommandCase)
        {
            case Command.CommandOneofCase.AddBlock:
                AddBlock(command.AddBlock.Block, command.Now == 0 ? null : command.Now);
                return null;
            case Command.CommandOneofCase.LeaseJob:
                return ApplyLeaseJob(command.LeaseJob, logged.Index);
            case Command.CommandOneofCase.ReplaceBlocks:
                return ApplyReplaceBlocks(command.ReplaceBlocks, command.Now);
            case Command.CommandOneofCase.Truncate:
                return ApplyTruncate(command.Truncate, command.Now);
            case Command.CommandOneofCase.DeleteTombstones:
                _index.DeleteTombstones(command.DeleteTombstones.ObjectKeys);
                return null;
            default:
                // Decoding rejects unknown commands, so only a programming error gets here.
                throw new InvalidOperationException($"no handler for command {command.CommandCase}");
        }
    }

    /// <summary>
    /// AddBlock. MUST be idempotent: adding a block whose id is indexed changes nothing, whatever its content.
    /// Invalid metadata (which the write path rejects before logging) is ignored. A tombstoned block (compacted or
    /// dropped by retention, then re-sent by DLQ recovery or a retry) is not indexed again; a block whose data all lies
    /// before its tenants' retention edges is tombstoned instead of indexed.
    /// </summary>
    private void AddBlock(BlockMeta? block, long? now)
    {
        try
        {
            BlockMetaValidation.Validate(block);
        }
        catch (MetastoreInvalidRequestException ex)
        {
            _logger.LogAppliedInvalidBlock(ex, block?.Id ?? string.Empty);
            return;
        }

        if (_index.Contains(block!.Id) || _index.IsTombstoned(block.Id))
        {
            return;
        }

        if (now is { } time && _index.IsExpired(block))
        {
            _index.AddTombstone(block, time);
            return;
        }

        if (_index.Add(block))
        {
            _logger.BlockAdded(block.Id, block.Shard, block.CompactionLevel, block.Datasets.Count);
        }
    }

    /// <summary>LeaseJob: the token is the command's log index, so every later lease of the job fences the earlier ones.</summary>
    private LeaseJobResponse ApplyLeaseJob(LeaseJobRequest request, long index)
    {
        var token = (ulong)index;
        var (present, edges) = _index.LeaseJob(request.Job, token, request.SourceBlockIds);
        var response = new LeaseJobResponse { Token = token, SourcesPresent = present };
        response.RetentionEdges.Add(edges);
        return response;
    }

    /// <summary>ReplaceBlocks: see <see cref="BlockIndex.ReplaceBlocks"/>. Idempotent: a second commit finds no lease.</summary>
    private ReplaceBlocksResponse ApplyReplaceBlocks(ReplaceBlocksRequest request, long now)
    {
        foreach (var output in request.Outputs)
        {
            try
            {
                BlockMetaValidation.Validate(output);
            }
            catch (MetastoreInvalidRequestException ex)
            {
                _logger.LogAppliedInvalidBlock(ex, output.Id);
                return new ReplaceBlocksResponse { Outcome = ReplaceBlocksOutcome.NoOp, Reason = ex.Message };
            }
        }

        var (outcome, reason) = _index.ReplaceBlocks(request, now);
        return new ReplaceBlocksResponse { Outcome = outcome, Reason = reason };
    }

    private TruncateResponse ApplyTruncate(TruncateRequest request, long now) =>
        new() { BlocksRemoved = _index.Truncate(request, now) };
}

/// <summary>A command and its index in the log.</summary>
internal readonly record struct LoggedCommand(long Index, Command Command);
