namespace Dapr.Profiler.DaprSidecar.Emulator;

/// <summary>
/// daprd's per-actor lock: one turn at a time (method calls, reminders, timers, deactivation), first come first
/// served. With reentrancy, a call carrying the reentrancy id of the turn in progress enters it (up to a stack depth).
/// </summary>
internal sealed class ActorTurn
{
    private readonly Lock _gate = new();
    private readonly Queue<TaskCompletionSource> _waiters = new();
    private bool _held;
    private string? _reentrancyId;
    private int _depth;

    /// <summary>Waits for the turn; null when <paramref name="reentrancyId"/> matches the turn in progress but its depth would exceed <paramref name="maxDepth"/>.</summary>
    public async Task<IDisposable?> EnterAsync(string? reentrancyId, int maxDepth, CancellationToken cancellationToken)
    {
        TaskCompletionSource waiter;
        lock (_gate)
        {
            if (reentrancyId is not null && _held && _reentrancyId == reentrancyId)
            {
                if (_depth >= maxDepth)
                {
                    return null;
                }

                _depth++;
                return new Releaser(this, nested: true);
            }

            if (!_held)
            {
                Take(reentrancyId);
                return new Releaser(this, nested: false);
            }

            waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Enqueue(waiter);
        }

        using (cancellationToken.Register(() => waiter.TrySetCanceled(cancellationToken)))
        {
            await waiter.Task;
        }

        lock (_gate)
        {
            _reentrancyId = reentrancyId;
        }

        return new Releaser(this, nested: false);
    }

    /// <summary>Takes the turn if it is free (for idle deactivation, which does not wait).</summary>
    public IDisposable? TryEnter()
    {
        lock (_gate)
        {
            if (_held)
            {
                return null;
            }

            Take(null);
            return new Releaser(this, nested: false);
        }
    }

    private void Take(string? reentrancyId)
    {
        _held = true;
        _reentrancyId = reentrancyId;
        _depth = 1;
    }

    private void Exit(bool nested)
    {
        lock (_gate)
        {
            if (nested)
            {
                _depth--;
                return;
            }

            _reentrancyId = null;
            _depth = 1;
            while (_waiters.TryDequeue(out var next))
            {
                // Ownership passes to the next waiter that has not given up.
                if (next.TrySetResult())
                {
                    return;
                }
            }

            _held = false;
        }
    }

    private sealed class Releaser(ActorTurn turn, bool nested) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                turn.Exit(nested);
            }
        }
    }
}
