using System.Collections.Concurrent;
using Google.Protobuf;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Dapr.Profiler.Mesh;

/// <summary>
/// The actor runtime of the all-in-one mode, with the semantics Dapr gives actors: one activation per (type, id) in
/// the process; turn-based concurrency (a per-actor gate serialises methods, reminders and timers; different actors
/// run in parallel); activation by the first call; deactivation after <see cref="ActorRuntimeOptions.ActorIdleTimeout"/>
/// without calls or reminders; durable reminders and state under <c>{DataDirectory}/actors/</c>.
/// <para>
/// On disk: <c>actors/runtime.lock</c> (held while running: one runtime per directory), <c>actors/reminders.json</c>
/// (every reminder with its next fire time; a reminder due while the process was down fires once at start, missed
/// periods are not replayed), <c>actors/state/{type}/{id}.json</c> (see <see cref="FileActorStateStore"/>). Every
/// file is replaced atomically (temp file, fsync, rename, directory fsync).
/// </para>
/// <para>Start it (as a hosted service) before invoking; stopping deactivates every actor. It cannot be restarted.</para>
/// </summary>
public sealed partial class InProcessActorRuntime : IHostedService, IActorInvoker, IAsyncDisposable
{
    private const int NotStarted = 0;
    private const int Running = 1;
    private const int Stopping = 2;
    private const int Stopped = 3;

    private static readonly AsyncLocal<Turn?> CurrentTurn = new();

    private readonly ActorRegistry _registry;
    private readonly ActorRuntimeOptions _options;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly FileActorStateStore _stateStore;
    private readonly ConcurrentDictionary<ActorKey, ActorActivation> _activations = new();
    private readonly ConcurrentDictionary<Task, byte> _background = new();
    private readonly CancellationTokenSource _stopping = new();
    private int _state;
    private FileStream? _lockFile;
    private Task? _scanLoop;

    /// <exception cref="OptionsValidationException">The options are invalid.</exception>
    public InProcessActorRuntime(ActorRegistry registry, IOptions<ActorRuntimeOptions> options, ILoggerFactory loggerFactory, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        ArgumentNullException.ThrowIfNull(timeProvider);
        var validation = new ActorRuntimeOptionsValidator().Validate(null, options.Value);
        if (validation.Failed)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(ActorRuntimeOptions), validation.Failures);
        }

        _registry = registry;
        _options = options.Value;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<InProcessActorRuntime>();
        _time = timeProvider;
        ActorsDirectory = Path.Join(Path.GetFullPath(_options.DataDirectory), "actors");
        _stateStore = new FileActorStateStore(Path.Join(ActorsDirectory, "state"));
        _reminderStore = new ReminderStore(Path.Join(ActorsDirectory, "reminders.json"));
    }

    /// <summary>The directory holding the runtime's files.</summary>
    public string ActorsDirectory { get; }

    /// <summary>How many actors are active now.</summary>
    public int ActiveActorCount => _activations.Count;

    /// <exception cref="InvalidOperationException">Another runtime uses the directory, or this one was started before.</exception>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.CompareExchange(ref _state, Running, NotStarted) != NotStarted)
        {
            throw new InvalidOperationException("an actor runtime starts once");
        }

        Directory.CreateDirectory(ActorsDirectory);
        try
        {
            // FileShare.None takes an exclusive lock (flock on Unix): a second runtime on this directory fails here.
            _lockFile = new FileStream(Path.Join(ActorsDirectory, "runtime.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException ex)
        {
            Volatile.Write(ref _state, Stopped);
            throw new InvalidOperationException($"another actor runtime is using {ActorsDirectory}", ex);
        }

        int reminders;
        try
        {
            var abandoned = AtomicFile.RemoveAbandoned(ActorsDirectory);
            if (abandoned > 0)
            {
                Log.AbandonedTempFilesRemoved(_logger, abandoned, ActorsDirectory);
            }

            reminders = await LoadRemindersAsync(cancellationToken);
        }
        catch
        {
            // A corrupt reminder file or an I/O error stops the host: nothing is guessed or dropped.
            DisarmReminders();
            await _lockFile.DisposeAsync();
            Volatile.Write(ref _state, Stopped);
            throw;
        }

        _scanLoop = ScanLoopAsync();
        Log.RuntimeStarted(_logger, ActorsDirectory, _registry.ActorTypes.Count, reminders);
    }

    /// <summary>Stops reminders and timers, waits for running turns, and deactivates every actor.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.CompareExchange(ref _state, Stopping, Running) != Running)
        {
            return;
        }

        await _stopping.CancelAsync();
        await _scanLoop!;
        DisarmReminders();
        foreach (var activation in _activations.Values)
        {
            CancelTimers(activation);
        }

        await Task.WhenAll(_background.Keys);
        var deactivated = 0;
        foreach (var activation in _activations.Values)
        {
            await activation.Gate.WaitAsync(cancellationToken);
            try
            {
                if (!activation.IsDeactivated)
                {
                    await DeactivateAsync(activation, "runtime stopping");
                    deactivated++;
                }
            }
            finally
            {
                activation.Gate.Release();
            }
        }

        await _lockFile!.DisposeAsync();
        Volatile.Write(ref _state, Stopped);
        Log.RuntimeStopped(_logger, deactivated);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None);
        if (_lockFile is not null)
        {
            await _lockFile.DisposeAsync();
        }

        _stopping.Dispose();
        _reminderWrites.Dispose();
    }

    public async Task<TResponse> InvokeAsync<TRequest, TResponse>(string actorType, ActorId id, string method, TRequest request, CancellationToken cancellationToken)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse>, new()
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrEmpty(method);
        if (string.IsNullOrEmpty(id.Id))
        {
            throw new ArgumentException("default(ActorId) is not an actor id", nameof(id));
        }

        if (!_registry.TryGet(actorType, out var type))
        {
            throw new ServiceException(ServiceStatus.Unimplemented, $"actor type {actorType} is not hosted in this process");
        }

        if (!type.Methods.TryGetValue(method, out var actorMethod))
        {
            throw new ServiceException(ServiceStatus.Unimplemented, $"actor type {actorType} has no method {method}");
        }

        IMessage response;
        try
        {
            response = await RunTurnAsync(type, id, (actor, ct) => actorMethod.Handler(actor, request, ct), cancellationToken);
        }
        catch (Exception ex) when (ex is not ServiceException and not OperationCanceledException)
        {
            throw new ServiceException(ServiceStatus.Internal, $"actor {actorType}/{id} method {method} failed: {ex.Message}", ex);
        }

        return response is TResponse typed
            ? typed
            : throw new ServiceException(ServiceStatus.Internal, $"actor method {actorType}/{method} returned {response.GetType().Name}, not {typeof(TResponse).Name}");
    }

    /// <summary>Whether the actor has an activation now.</summary>
    internal bool IsActive(string actorType, ActorId id) => _activations.ContainsKey(new ActorKey(actorType, id));

    /// <summary>
    /// Runs <paramref name="body"/> as one turn of the actor, activating it first if needed. The turn's state changes
    /// are saved when it succeeds and discarded when it throws.
    /// </summary>
    private async Task<T> RunTurnAsync<T>(ActorTypeRegistration type, ActorId id, Func<Actor, CancellationToken, Task<T>> body, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(id.Id))
        {
            throw new ArgumentException("default(ActorId) is not an actor id", nameof(id));
        }

        var key = new ActorKey(type.ActorType, id);
        if (CurrentTurn.Value?.Holds(key) == true)
        {
            throw new ServiceException(ServiceStatus.FailedPrecondition, $"actor {key} is called from its own turn; under turn-based concurrency that call would wait forever");
        }

        while (true)
        {
            EnsureRunning();
            var activation = _activations.GetOrAdd(key, static (k, s) => new ActorActivation(s.Runtime, s.Type, k.Id, s.Runtime._stateStore, s.Runtime._time.GetUtcNow()), (Runtime: this, Type: type));
            activation.EnterWaiting();
            try
            {
                await activation.Gate.WaitAsync(cancellationToken);
            }
            finally
            {
                activation.LeaveWaiting();
            }

            try
            {
                if (activation.IsDeactivated)
                {
                    continue; // deactivated while we waited: the next lookup makes a new activation
                }

                var turn = new Turn(key, CurrentTurn.Value);
                CurrentTurn.Value = turn;
                try
                {
                    if (!activation.IsActivated)
                    {
                        await ActivateAsync(activation);
                    }

                    activation.LastUsed = _time.GetUtcNow();
                    var result = await body(activation.Actor!, cancellationToken);
                    await activation.State.SaveStateAsync(CancellationToken.None);
                    return result;
                }
                catch
                {
                    await activation.State.ClearCacheAsync(CancellationToken.None);
                    throw;
                }
                finally
                {
                    turn.Active = false;
                    CurrentTurn.Value = turn.Caller;
                    activation.LastUsed = _time.GetUtcNow();
                }
            }
            finally
            {
                activation.Gate.Release();
            }
        }
    }

    private void EnsureRunning()
    {
        if (Volatile.Read(ref _state) != Running)
        {
            throw new ServiceException(ServiceStatus.Unavailable, "the actor runtime is not running");
        }
    }

    /// <summary>Keeps a fire-and-forget task (a reminder or timer firing) so that stopping can wait for it.</summary>
    private void Track(Task task)
    {
        _background.TryAdd(task, 0);
        _ = task.ContinueWith(
            static (t, state) => ((ConcurrentDictionary<Task, byte>)state!).TryRemove(t, out _),
            _background,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    /// <summary>A stopped timer whose callback does not inherit the caller's async context (and so its turn).</summary>
    private ITimer CreateTimer(Action callback)
    {
        if (ExecutionContext.IsFlowSuppressed())
        {
            return _time.CreateTimer(static s => ((Action)s!)(), callback, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }

        using (ExecutionContext.SuppressFlow())
        {
            return _time.CreateTimer(static s => ((Action)s!)(), callback, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }
    }

    private static bool IsRepeating(TimeSpan period) => period > TimeSpan.Zero;

    private static void ValidateSchedule(TimeSpan dueTime, TimeSpan period)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dueTime, TimeSpan.Zero, nameof(dueTime));
        if (period < TimeSpan.Zero && period != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(period), period, "the period is positive, or zero or infinite for a single firing");
        }
    }
}
