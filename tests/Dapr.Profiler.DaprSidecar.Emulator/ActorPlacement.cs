using System.Text;

namespace Dapr.Profiler.DaprSidecar.Emulator;

/// <summary>
/// The cluster's placement table (what the Placement service disseminates to daprd): actor type → the sidecars whose
/// apps host it. An actor id goes to one host, chosen by rendezvous hashing of (type, id, app-id) over the hosts that
/// are up, so every sidecar agrees and there is one activation per id; when a host leaves only its own ids move, and
/// when one joins only the ids it now wins move to it.
/// </summary>
internal sealed class ActorPlacement
{
    private readonly Lock _gate = new();
    private readonly Dictionary<Sidecar, Host> _hosts = [];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes at the next change of the table.</summary>
    public Task Changed
    {
        get
        {
            lock (_gate)
            {
                return _changed.Task;
            }
        }
    }

    /// <summary>Registers (or re-registers) <paramref name="sidecar"/> with the types of <paramref name="config"/>, as up.</summary>
    public void Register(Sidecar sidecar, ActorHostConfig config)
    {
        lock (_gate)
        {
            _hosts[sidecar] = new Host(config, Up: true);
            SignalLocked();
        }
    }

    /// <summary>Removes <paramref name="sidecar"/> (disposed).</summary>
    public void Unregister(Sidecar sidecar)
    {
        lock (_gate)
        {
            if (_hosts.Remove(sidecar))
            {
                SignalLocked();
            }
        }
    }

    /// <summary>Takes <paramref name="sidecar"/> out of placement while its app is unreachable; true if it was up.</summary>
    public bool MarkDown(Sidecar sidecar)
    {
        lock (_gate)
        {
            if (!_hosts.TryGetValue(sidecar, out var host) || !host.Up)
            {
                return false;
            }

            _hosts[sidecar] = host with { Up = false };
            SignalLocked();
            return true;
        }
    }

    /// <summary>The host of (<paramref name="actorType"/>, <paramref name="actorId"/>) among the hosts that are up, or null.</summary>
    public Sidecar? Lookup(string actorType, string actorId)
    {
        lock (_gate)
        {
            Sidecar? best = null;
            ulong bestScore = 0;
            foreach (var (sidecar, host) in _hosts)
            {
                if (!host.Up || !host.Config.Hosts(actorType))
                {
                    continue;
                }

                var score = Score(actorType, actorId, sidecar.AppId);
                if (best is null || score > bestScore || (score == bestScore && string.CompareOrdinal(sidecar.AppId, best.AppId) < 0))
                {
                    best = sidecar;
                    bestScore = score;
                }
            }

            return best;
        }
    }

    /// <summary>Waits up to <paramref name="timeout"/> for a host of <paramref name="actorType"/> to be up (daprd retries its lookup for a while too).</summary>
    public async Task<Sidecar?> WaitForHostAsync(string actorType, string actorId, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                changed = _changed.Task;
            }

            if (Lookup(actorType, actorId) is { } host)
            {
                return host;
            }

            var remaining = deadline - DateTime.UtcNow;
            if (remaining <= TimeSpan.Zero)
            {
                return null;
            }

            try
            {
                await changed.WaitAsync(remaining, cancellationToken);
            }
            catch (TimeoutException)
            {
                return null;
            }
        }
    }

    /// <summary>The settings <paramref name="sidecar"/>'s app reported, or null if it is not registered.</summary>
    public ActorHostConfig? ConfigOf(Sidecar sidecar)
    {
        lock (_gate)
        {
            return _hosts.TryGetValue(sidecar, out var host) ? host.Config : null;
        }
    }

    /// <summary>Whether <paramref name="sidecar"/> is registered and its app reachable (in placement).</summary>
    public bool IsUp(Sidecar sidecar)
    {
        lock (_gate)
        {
            return _hosts.TryGetValue(sidecar, out var host) && host.Up;
        }
    }

    /// <summary>Whether <paramref name="sidecar"/>'s app reported <paramref name="actorType"/> (up or not).</summary>
    public bool Hosts(Sidecar sidecar, string actorType) => ConfigOf(sidecar)?.Hosts(actorType) == true;

    /// <summary>Registered hosts and their settings.</summary>
    public IReadOnlyList<(Sidecar Sidecar, ActorHostConfig Config, bool Up)> Snapshot()
    {
        lock (_gate)
        {
            return [.. _hosts.Select(p => (p.Key, p.Value.Config, p.Value.Up))];
        }
    }

    /// <summary>A stable 64-bit score (FNV-1a over the UTF-8 of type, id and app-id, then a finalising mix).</summary>
    internal static ulong Score(string actorType, string actorId, string appId)
    {
        var hash = 14695981039346656037UL;
        foreach (var part in (ReadOnlySpan<string>)[actorType, actorId, appId])
        {
            foreach (var b in Encoding.UTF8.GetBytes(part))
            {
                hash = (hash ^ b) * 1099511628211UL;
            }

            hash = (hash ^ 0xFF) * 1099511628211UL;
        }

        hash ^= hash >> 33;
        hash *= 0xff51afd7ed558ccdUL;
        hash ^= hash >> 33;
        hash *= 0xc4ceb9fe1a85ec53UL;
        hash ^= hash >> 33;
        return hash;
    }

    private void SignalLocked()
    {
        var changed = _changed;
        _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        changed.TrySetResult();
    }

    private sealed record Host(ActorHostConfig Config, bool Up);
}
