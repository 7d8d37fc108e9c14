using System.Diagnostics;

namespace Dapr.Profiler.Metastore;

public sealed partial class MetastoreNode
{
    private const int ReplayBatch = 1024;

    /// <summary>The index of the last command in the log (0 for none).</summary>
    private long _lastIndex;

    /// <summary>What the last recovery (start or reopen) did.</summary>
    internal RecoveryInfo LastRecovery { get; private set; } = new(0, 0, 0, false);

    /// <summary>
    /// Opens the log and rebuilds the state from the newest readable snapshot plus the log from that snapshot's
    /// address, then swaps it in. The caller holds the write gate.
    /// </summary>
    /// <remarks>
    /// A damaged tail (a record failing its checksum, an unreadable page, or records ending before the committed
    /// tail) ends the replay there: what was read is the state, and a snapshot at the log's tail is written at once,
    /// so later restarts start after the damage instead of stopping at it again and losing what is written next.
    /// </remarks>
    /// <exception cref="MetastoreCorruptedException">The snapshot and the log do not fit together.</exception>
    private async Task RecoverAsync(bool initial)
    {
        var stopwatch = Stopwatch.StartNew();
        _logger.Recovering(_options.MetastoreDirectory);
        _log?.Dispose();
        _log = null;
        Directory.CreateDirectory(_logDirectory);
        Directory.CreateDirectory(_snapshots.Directory);
        if (initial)
        {
            _snapshots.DeleteTemporaryFiles();
        }

        var state = new MetastoreStateMachine(_options, _logger);
        var snapshot = LoadNewestSnapshot();
        if (snapshot is not null)
        {
            state.Restore(snapshot.Blocks, snapshot.Extra);
        }

        var log = _logFactory(_logDirectory, _options);
        try
        {
            if (snapshot is null && log.BeginAddress > log.FirstAddress)
            {
                throw new MetastoreCorruptedException(
                    $"the metastore log in {_logDirectory} begins at {log.BeginAddress} (it was truncated after a snapshot), but no snapshot in {_snapshots.Directory} is readable");
            }

            if (snapshot is not null && snapshot.Address < log.BeginAddress)
            {
                throw new MetastoreCorruptedException(
                    $"the metastore log begins at {log.BeginAddress}, after the address {snapshot.Address} its newest readable snapshot covers: commands in between are gone");
            }

            var replay = Replay(log, snapshot, state);
            _log = log;
            _state = state;
            _faulted = false;
            _lastIndex = replay.LastIndex;
            _snapshotAddress = snapshot?.Address ?? 0;
            _snapshotBase = snapshot?.Address ?? log.BeginAddress;
            _commandsSinceSnapshot = replay.Commands;
            LastRecovery = new RecoveryInfo(snapshot?.Blocks.Count ?? 0, replay.Commands, stopwatch.ElapsedMilliseconds, replay.Damaged);
            _logger.Recovered(
                state.Count, snapshot?.Address ?? 0, snapshot?.Blocks.Count ?? 0, replay.Commands, log.TailAddress, stopwatch.ElapsedMilliseconds);
            if (replay.Damaged)
            {
                await SnapshotUnderGateAsync();
            }
        }
        catch
        {
            if (!ReferenceEquals(_log, log))
            {
                log.Dispose();
            }

            throw;
        }
    }

    private SnapshotData? LoadNewestSnapshot()
    {
        foreach (var file in _snapshots.List())
        {
            try
            {
                var data = SnapshotStore.Read(file.Path);
                if (data.Address != file.Address)
                {
                    throw new CorruptRecordException($"the file name says address {file.Address}, its header {data.Address}");
                }

                return data;
            }
            catch (Exception ex) when (ex is CorruptRecordException or IOException)
            {
                _logger.SnapshotCorrupt(ex, file.Path);
            }
        }

        return null;
    }

    private ReplayResult Replay(ICommandLog log, SnapshotData? snapshot, MetastoreStateMachine state)
    {
        var start = snapshot?.Address ?? log.BeginAddress;
        var lastIndex = snapshot?.LastIndex ?? 0;
        if (start > log.TailAddress)
        {
            _logger.LogBehindSnapshot(log.TailAddress, start);
            return new ReplayResult(lastIndex, 0, Damaged: true);
        }

        var batch = new List<LoggedCommand>(ReplayBatch);
        var next = start;
        var commands = 0;
        var damaged = false;
        try
        {
            foreach (var record in log.ReadCommitted(start))
            {
                var decoded = CommandCodec.Decode(record.Payload.Span);
                if (decoded.Index <= lastIndex)
                {
                    // Already part of the snapshot (applying it again would be harmless: handlers are idempotent).
                    next = record.NextAddress;
                    continue;
                }

                if (decoded.Index != lastIndex + 1)
                {
                    _logger.LogGap(lastIndex + 1, decoded.Index - 1, record.Address);
                }

                batch.Add(new LoggedCommand(decoded.Index, decoded.Command));
                lastIndex = decoded.Index;
                next = record.NextAddress;
                commands++;
                if (batch.Count == ReplayBatch)
                {
                    state.Apply(batch);
                    batch.Clear();
                }
            }
        }
        catch (CorruptRecordException ex)
        {
            _logger.LogTornTail(next, ex.Message);
            damaged = true;
        }

        state.Apply(batch);
        if (!damaged && next != log.TailAddress)
        {
            _logger.LogTornTail(next, $"the records end before the committed tail {log.TailAddress}");
            damaged = true;
        }

        return new ReplayResult(lastIndex, commands, damaged);
    }

    private readonly record struct ReplayResult(long LastIndex, int Commands, bool Damaged);

    /// <summary>Blocks loaded from the snapshot, commands replayed from the log, duration, and whether the log was damaged.</summary>
    internal sealed record RecoveryInfo(int SnapshotBlocks, int Commands, long ElapsedMs, bool Damaged);
}
