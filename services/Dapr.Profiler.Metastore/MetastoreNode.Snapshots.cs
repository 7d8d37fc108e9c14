using System.Diagnostics;
using Dapr.Profiler.Protos.Block;
using Dapr.Profiler.Protos.Metastore;

namespace Dapr.Profiler.Metastore;

public sealed partial class MetastoreNode
{
    /// <summary>The log address the newest snapshot covers (0 for none).</summary>
    private long _snapshotAddress;

    /// <summary>Where the log bytes written since the last snapshot are counted from.</summary>
    private long _snapshotBase;

    private int _commandsSinceSnapshot;
    private Task _snapshotTask = Task.CompletedTask;

    /// <summary>Captures are numbered; a snapshot completing after a later-captured one is stale and dropped.</summary>
    private long _captureSequence;
    private long _completedSequence;

    /// <summary>The log address the newest snapshot covers (0 for none).</summary>
    internal long SnapshotAddress => _snapshotAddress;

    /// <summary>Writes a snapshot of the current state now and truncates the log (tests and operators).</summary>
    internal async Task SnapshotAsync()
    {
        await WaitForSnapshotAsync();
        SnapshotCapture capture;
        await _writeGate.WaitAsync();
        try
        {
            if (_disposed || _log is null || _state is null)
            {
                throw new MetastoreUnavailableException("the metastore is not open");
            }

            capture = Capture();
        }
        finally
        {
            _writeGate.Release();
        }

        await WriteSnapshotAsync(capture, gateHeld: false, throwOnFailure: true);
    }

    /// <summary>Waits for a snapshot running in the background (it never throws; failures are logged).</summary>
    internal Task WaitForSnapshotAsync() => Volatile.Read(ref _snapshotTask);

    /// <summary>Starts a background snapshot when enough log was written since the last. The caller holds the gate.</summary>
    private void MaybeStartSnapshot()
    {
        if (_disposing || !_snapshotTask.IsCompleted || _log is null)
        {
            return;
        }

        if (_commandsSinceSnapshot < _options.SnapshotEveryCommands && _log.TailAddress - _snapshotBase < _options.SnapshotEveryBytes)
        {
            return;
        }

        var capture = Capture();
        Volatile.Write(ref _snapshotTask, Task.Run(() => WriteSnapshotAsync(capture, gateHeld: false, throwOnFailure: false)));
    }

    /// <summary>Writes a snapshot at the log's tail while holding the gate (recovery from a damaged log).</summary>
    private Task SnapshotUnderGateAsync() => WriteSnapshotAsync(Capture(), gateHeld: true, throwOnFailure: true);

    /// <summary>The state as of the log's tail. The caller holds the gate, so no batch is between append and apply.</summary>
    private SnapshotCapture Capture()
    {
        var (blocks, extra) = _state!.Capture();
        var capture = new SnapshotCapture(++_captureSequence, _log!.TailAddress, _lastIndex, blocks, extra);
        _commandsSinceSnapshot = 0;
        _snapshotBase = capture.Address;
        return capture;
    }

    private async Task WriteSnapshotAsync(SnapshotCapture capture, bool gateHeld, bool throwOnFailure)
    {
        try
        {
            var stopwatch = Stopwatch.StartNew();

            // The file is written without the gate: writes continue meanwhile (the blocks captured are immutable).
            var (path, bytes) = _snapshots.Write(capture.Address, capture.LastIndex, capture.Blocks, capture.Extra);
            if (!gateHeld)
            {
                await _writeGate.WaitAsync();
            }

            long truncatedUntil;
            try
            {
                truncatedUntil = await CompleteSnapshotAsync(capture, path);
            }
            finally
            {
                if (!gateHeld)
                {
                    _writeGate.Release();
                }
            }

            _logger.SnapshotWritten(capture.Address, capture.Blocks.Count, bytes, stopwatch.ElapsedMilliseconds, truncatedUntil);
        }
        catch (Exception ex) when (!throwOnFailure)
        {
            _logger.SnapshotFailed(ex, capture.Address);
        }
    }

    /// <summary>
    /// Makes the snapshot of <paramref name="capture"/> the newest, keeps the one before it, deletes the rest and
    /// truncates the log up to the kept older one. Keeping one older snapshot and the log from its address means a
    /// newest snapshot that later proves unreadable costs nothing. The caller holds the gate.
    /// </summary>
    /// <returns>The address the log is truncated up to.</returns>
    private async Task<long> CompleteSnapshotAsync(SnapshotCapture capture, string path)
    {
        var address = capture.Address;
        if (capture.Sequence < _completedSequence)
        {
            // A snapshot captured later (the one written when a reopened log was found damaged) completed first.
            if (address != _snapshotAddress)
            {
                File.Delete(path);
            }

            return _log?.BeginAddress ?? 0;
        }

        _completedSequence = capture.Sequence;
        SnapshotFile? previous = null;
        foreach (var file in _snapshots.List())
        {
            if (file.Address > address)
            {
                // Left from before a damaged log was rebased to an earlier tail: it would skip what is written next.
                File.Delete(file.Path);
            }
            else if (file.Address < address)
            {
                if (previous is null)
                {
                    previous = file;
                }
                else
                {
                    File.Delete(file.Path);
                }
            }
        }

        _snapshotAddress = address;
        if (_disposed || _faulted || _log is null || previous is null || previous.Address <= _log.BeginAddress)
        {
            return _log?.BeginAddress ?? 0;
        }

        try
        {
            _log.TruncateUntil(previous.Address);
            await _log.CommitAsync(CancellationToken.None);
        }
        catch
        {
            _faulted = true;
            throw;
        }

        return previous.Address;
    }

    private sealed record SnapshotCapture(long Sequence, long Address, long LastIndex, List<BlockMeta> Blocks, SnapshotExtra Extra);
}
