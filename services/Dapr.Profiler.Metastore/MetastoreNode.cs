using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Dapr.Profiler.Metastore;

/// <summary>
/// A single metastore node: the command log (FasterLog), the state machine it builds (the block index) and the
/// snapshots that bound the log. Writes are appended, committed (fsync) and only then applied and acknowledged;
/// reads run against the applied state, so a read sees every acknowledged write (linearizable on one node).
/// </summary>
/// <remarks>
/// Split by concern: this file holds the lifecycle, <c>.Recovery.cs</c> opening and replaying the log,
/// <c>.Writes.cs</c> the group-committing write path and <c>.Snapshots.cs</c> snapshots and log truncation.
/// A Raft layer replaces the local append+commit of <c>.Writes.cs</c> with a replicated one; the state machine,
/// snapshots and queries stay as they are.
/// </remarks>
public sealed partial class MetastoreNode : IAsyncDisposable
{
    /// <summary>How long a request waits for recovery to finish before it is refused as unavailable.</summary>
    public static readonly TimeSpan ReadyWaitTimeout = TimeSpan.FromSeconds(10);

    private readonly MetastoreOptions _options;
    private readonly ILogger _logger;
    private readonly CommandLogFactory _logFactory;
    private readonly SnapshotStore _snapshots;
    private readonly string _logDirectory;
    private readonly TimeProvider _timeProvider;

    // Held by whoever touches the log: recovery, a write batch, the truncation after a snapshot, disposal.
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private readonly ConcurrentQueue<PendingWrite> _pending = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _started;
    private int _disposeStarted;
    private volatile bool _disposing;
    private volatile MetastoreStateMachine? _state;
    private ICommandLog? _log;
    private bool _disposed;

    public MetastoreNode(IOptions<MetastoreOptions> options, ILogger<MetastoreNode> logger, TimeProvider timeProvider)
        : this(options?.Value ?? throw new ArgumentNullException(nameof(options)), logger, null, timeProvider)
    {
    }

    /// <param name="options">Validated options.</param>
    /// <param name="logger">Null for no logging.</param>
    /// <param name="logFactory">Opens the command log; tests wrap the FASTER log to inject faults.</param>
    /// <param name="timeProvider">The clock that stamps commands (retention and tombstone times); null for the system clock.</param>
    internal MetastoreNode(MetastoreOptions options, ILogger? logger, CommandLogFactory? logFactory, TimeProvider? timeProvider = null)
    {
        _timeProvider = timeProvider ?? TimeProvider.System;
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _logger = logger ?? NullLogger.Instance;
        _logFactory = logFactory ?? FasterCommandLog.Open;
        _logDirectory = Path.Combine(options.MetastoreDirectory, "log");
        _snapshots = new SnapshotStore(Path.Combine(options.MetastoreDirectory, "snapshots"), _logger);
    }

    /// <summary>Completes when recovery finished and the node serves; faults when recovery failed.</summary>
    public Task Ready => _ready.Task;

    public bool IsReady => _ready.Task.IsCompletedSuccessfully && !_disposing;

    /// <summary>The number of indexed blocks (0 before recovery).</summary>
    public int BlockCount => _state?.Count ?? 0;

    /// <summary>Starts recovery in the background (once); <see cref="Ready"/> tells when it is done.</summary>
    public void Start()
    {
        if (Interlocked.Exchange(ref _started, 1) == 0)
        {
            _ = Task.Run(StartCoreAsync);
        }
    }

    /// <summary>Stops writes, waits for the one in progress and a running snapshot, and closes the log.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposeStarted, 1) != 0)
        {
            return;
        }

        _disposing = true;
        await WaitForSnapshotAsync();
        await _writeGate.WaitAsync();
        try
        {
            _disposed = true;
            _log?.Dispose();
            _log = null;
            FailPending(new MetastoreUnavailableException("the metastore is shutting down"));
        }
        finally
        {
            _writeGate.Release();
        }

        // A batch that was running when disposal began may have started one more snapshot; it finds the log closed.
        await WaitForSnapshotAsync();
        _ready.TrySetException(new MetastoreUnavailableException("the metastore was stopped before it recovered"));
    }

    /// <summary>Waits until the node is ready and returns its state.</summary>
    /// <exception cref="MetastoreUnavailableException">Recovery is not done within the timeout, failed, or the node stopped.</exception>
    internal async Task<MetastoreStateMachine> GetStateAsync(CancellationToken cancellationToken)
    {
        if (!_ready.Task.IsCompleted)
        {
            try
            {
                await _ready.Task.WaitAsync(ReadyWaitTimeout, cancellationToken);
            }
            catch (TimeoutException ex)
            {
                throw new MetastoreUnavailableException("the metastore is still recovering", ex);
            }
            catch (Exception ex) when (ex is not OperationCanceledException and not MetastoreUnavailableException)
            {
                throw new MetastoreUnavailableException("the metastore failed to recover", ex);
            }
        }
        else if (_ready.Task.IsFaulted)
        {
            throw new MetastoreUnavailableException("the metastore failed to recover", _ready.Task.Exception!.InnerException!);
        }

        if (_disposing)
        {
            throw new MetastoreUnavailableException("the metastore is shutting down");
        }

        return _state ?? throw new MetastoreUnavailableException("the metastore is not open");
    }

    /// <summary>Runs a query against the current state.</summary>
    internal async Task<T> ReadAsync<T>(Func<BlockIndex, T> query, CancellationToken cancellationToken)
    {
        var state = await GetStateAsync(cancellationToken);
        return state.Read(query);
    }

    /// <summary>The bytes the command log occupies on disk (for tests and diagnostics).</summary>
    internal async Task<long> GetLogSizeOnDiskAsync()
    {
        await _writeGate.WaitAsync();
        try
        {
            return _log?.SizeOnDisk() ?? 0;
        }
        finally
        {
            _writeGate.Release();
        }
    }

    private async Task StartCoreAsync()
    {
        try
        {
            await _writeGate.WaitAsync();
            try
            {
                if (_disposed)
                {
                    throw new MetastoreUnavailableException("the metastore was stopped before it recovered");
                }

                await RecoverAsync(initial: true);
            }
            finally
            {
                _writeGate.Release();
            }

            _ready.TrySetResult();
        }
        catch (Exception ex)
        {
            _logger.RecoveryFailed(ex);
            _ready.TrySetException(ex);
        }
    }

    private void FailPending(Exception error)
    {
        while (_pending.TryDequeue(out var write))
        {
            write.Fail(error);
        }
    }
}
