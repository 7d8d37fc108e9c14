using System.Diagnostics.CodeAnalysis;
using Dapr.Profiler.Protos.Block;
using Dapr.Profiler.Protos.Metastore;
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
    public void Apply(IReadOnlyList<Command> commands)
    {
        ArgumentNullException.ThrowIfNull(commands);
        _lock.EnterWriteLock();
        try
        {
            foreach (var command in commands)
            {
                ApplyOne(command);
            }
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>Loads the blocks of a snapshot (the state as of the snapshot's log address).</summary>
    public void Restore(IEnumerable<BlockMeta> blocks)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        _lock.EnterWriteLock();
        try
        {
            foreach (var block in blocks)
            {
                AddBlock(block);
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

    /// <summary>Every indexed block's metadata (for a snapshot; the instances are immutable).</summary>
    public List<BlockMeta> CaptureBlocks() => Read(static index => index.Blocks.ToList());

    private void ApplyOne(Command command)
    {
        switch (command.CommandCase)
        {
            case Command.CommandOneofCase.AddBlock:
                ApplyAddBlock(command.AddBlock);
                break;
            default:
                // Decoding rejects unknown commands, so only a programming error gets here.
                throw new InvalidOperationException($"no handler for command {command.CommandCase}");
        }
    }

    /// <summary>
    /// AddBlock. MUST be idempotent: adding a block whose id is indexed changes nothing, whatever its content.
    /// Invalid metadata (which the write path rejects before logging) is ignored.
    /// </summary>
    private void ApplyAddBlock(AddBlockRequest request) => AddBlock(request.Block);

    private void AddBlock(BlockMeta? block)
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

        if (_index.Add(block!))
        {
            _logger.BlockAdded(block!.Id, block.Shard, block.CompactionLevel, block.Datasets.Count);
        }
    }
}
