namespace Dapr.Profiler.Mesh;

public sealed partial class InProcessActorRuntime
{
    /// <summary>Deactivates every actor idle for at least the idle timeout and not busy (the scan loop's work).</summary>
    internal async Task DeactivateIdleActorsAsync()
    {
        var now = _time.GetUtcNow();
        foreach (var activation in _activations.Values)
        {
            if (activation.Pending > 0 || now - activation.LastUsed < _options.ActorIdleTimeout || !activation.Gate.Wait(0))
            {
                continue; // busy or recently used: not idle
            }

            try
            {
                if (!activation.IsDeactivated && activation.Pending == 0 && now - activation.LastUsed >= _options.ActorIdleTimeout)
                {
                    await DeactivateAsync(activation, "idle");
                }
            }
            finally
            {
                activation.Gate.Release();
            }
        }
    }

    private async Task ActivateAsync(ActorActivation activation)
    {
        try
        {
            var host = new ActorHost(activation.Key.ActorType, activation.Id, _loggerFactory, _time, activation);
            activation.Actor = activation.Type.Factory(host);
            await activation.Actor.ActivateAsync();
            await activation.State.SaveStateAsync(CancellationToken.None);
            activation.IsActivated = true;
            Log.Activated(_logger, activation.Key.ActorType, activation.Id.Id);
        }
        catch (Exception ex)
        {
            Log.ActivationFailed(_logger, ex, activation.Key.ActorType, activation.Id.Id);
            activation.IsDeactivated = true;
            CancelTimers(activation);
            _activations.TryRemove(KeyValuePair.Create(activation.Key, activation));
            throw;
        }
    }

    /// <summary>Ends an activation; the caller holds its gate.</summary>
    private async Task DeactivateAsync(ActorActivation activation, string reason)
    {
        activation.IsDeactivated = true;
        CancelTimers(activation);
        if (activation.IsActivated)
        {
            var turn = new Turn(activation.Key, null);
            CurrentTurn.Value = turn;
            try
            {
                await activation.Actor!.DeactivateAsync();
                await activation.State.SaveStateAsync(CancellationToken.None);
            }
            catch (Exception ex)
            {
                Log.DeactivationFailed(_logger, ex, activation.Key.ActorType, activation.Id.Id);
            }
            finally
            {
                turn.Active = false;
                CurrentTurn.Value = null;
            }
        }

        _activations.TryRemove(KeyValuePair.Create(activation.Key, activation));
        Log.Deactivated(_logger, activation.Key.ActorType, activation.Id.Id, reason);
    }

    private async Task ScanLoopAsync()
    {
        using var timer = new PeriodicTimer(_options.ScanInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token))
            {
                await DeactivateIdleActorsAsync();
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // stopping
        }
    }
}
