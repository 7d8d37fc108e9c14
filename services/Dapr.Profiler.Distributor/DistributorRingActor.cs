using Dapr.Profiler.Mesh;
using Dapr.Profiler.Protos.Distributor;

namespace Dapr.Profiler.Distributor;

/// <summary>
/// The one <c>DistributorRing</c> actor: the set of live distributors, each with the time its last heartbeat
/// expires. Membership lives in memory only: it is rebuilt within one heartbeat interval after the actor moves or
/// restarts, and the heartbeats themselves keep the actor from going idle.
/// </summary>
public sealed class DistributorRingActor(ActorHost host) : Actor(host)
{
    /// <summary>Members beyond this many are not added (the ring answers as if they were not there).</summary>
    internal const int MaxMembers = 4096;

    private readonly Dictionary<string, long> _expiries = new(StringComparer.Ordinal);

    public Task<HeartbeatResponse> HeartbeatAsync(HeartbeatRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (string.IsNullOrEmpty(request.MemberId) || request.TtlMs < 0)
        {
            throw new ServiceException(ServiceStatus.InvalidArgument, "a heartbeat needs a member id and a ttl ≥ 0");
        }

        var now = Host.TimeProvider.GetUtcNow().ToUnixTimeMilliseconds();
        foreach (var (member, expiry) in _expiries)
        {
            if (expiry <= now)
            {
                _expiries.Remove(member);
            }
        }

        if (request.TtlMs == 0)
        {
            _expiries.Remove(request.MemberId);
        }
        else if (_expiries.Count < MaxMembers || _expiries.ContainsKey(request.MemberId))
        {
            _expiries[request.MemberId] = now + request.TtlMs;
        }

        return Task.FromResult(new HeartbeatResponse { LiveMembers = _expiries.Count });
    }
}
