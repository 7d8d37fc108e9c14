using System.Text.Json;

namespace Dapr.Profiler.DaprSidecar.Emulator;

/// <summary>Per-type settings of an actor host (the fields of <c>entitiesConfig</c> items).</summary>
internal sealed record ActorTypeSettings(TimeSpan IdleTimeout, bool ReentrancyEnabled, int MaxStackDepth);

/// <summary>
/// What an app's <c>GET /dapr/config</c> says about the actors it hosts (reference §5): <c>entities</c>,
/// <c>actorIdleTimeout</c> (60m), <c>actorScanInterval</c> (30s), <c>drainOngoingCallTimeout</c> (60s),
/// <c>drainRebalancedActors</c>, <c>reentrancy</c> {<c>enabled</c>, <c>maxStackDepth</c> (32)} and per-type overrides in
/// <c>entitiesConfig</c>. Durations are Go durations (the SDKs write <c>0h0m1s0ms</c>); unreadable values keep the defaults.
/// </summary>
internal sealed record ActorHostConfig(
    IReadOnlyList<string> Entities,
    ActorTypeSettings Defaults,
    TimeSpan ScanInterval,
    TimeSpan DrainOngoingCallTimeout,
    bool DrainRebalancedActors,
    IReadOnlyDictionary<string, ActorTypeSettings> PerType)
{
    public static readonly TimeSpan DefaultIdleTimeout = TimeSpan.FromMinutes(60);
    public static readonly TimeSpan DefaultScanInterval = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan DefaultDrainOngoingCallTimeout = TimeSpan.FromSeconds(60);
    public const int DefaultMaxStackDepth = 32;

    /// <summary>No actors hosted (non-200 or unreadable <c>/dapr/config</c>).</summary>
    public static readonly ActorHostConfig None = new(
        [],
        new ActorTypeSettings(DefaultIdleTimeout, false, DefaultMaxStackDepth),
        DefaultScanInterval,
        DefaultDrainOngoingCallTimeout,
        false,
        new Dictionary<string, ActorTypeSettings>(StringComparer.Ordinal));

    public bool Hosts(string actorType) => Entities.Contains(actorType, StringComparer.Ordinal);

    public ActorTypeSettings For(string actorType) => PerType.GetValueOrDefault(actorType) ?? Defaults;

    public static ActorHostConfig Parse(ReadOnlySpan<byte> body)
    {
        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(body.ToArray());
            root = document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return None;
        }

        if (root.ValueKind != JsonValueKind.Object)
        {
            return None;
        }

        var defaults = ReadSettings(root, None.Defaults);
        var perType = new Dictionary<string, ActorTypeSettings>(StringComparer.Ordinal);
        if (root.TryGetProperty("entitiesConfig", out var entitiesConfig) && entitiesConfig.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in entitiesConfig.EnumerateArray().Where(i => i.ValueKind == JsonValueKind.Object))
            {
                var settings = ReadSettings(item, defaults);
                foreach (var type in Strings(item, "entities"))
                {
                    perType[type] = settings;
                }
            }
        }

        return new ActorHostConfig(
            [.. Strings(root, "entities").Distinct(StringComparer.Ordinal)],
            defaults,
            Duration(root, "actorScanInterval") ?? DefaultScanInterval,
            Duration(root, "drainOngoingCallTimeout") ?? DefaultDrainOngoingCallTimeout,
            root.TryGetProperty("drainRebalancedActors", out var drain) && drain.ValueKind == JsonValueKind.True,
            perType);
    }

    private static ActorTypeSettings ReadSettings(JsonElement element, ActorTypeSettings inherited)
    {
        var enabled = inherited.ReentrancyEnabled;
        var depth = inherited.MaxStackDepth;
        if (element.TryGetProperty("reentrancy", out var reentrancy) && reentrancy.ValueKind == JsonValueKind.Object)
        {
            if (reentrancy.TryGetProperty("enabled", out var e) && e.ValueKind is JsonValueKind.True or JsonValueKind.False)
            {
                enabled = e.GetBoolean();
            }

            if (reentrancy.TryGetProperty("maxStackDepth", out var d) && d.TryGetInt32(out var parsed) && parsed > 0)
            {
                depth = parsed;
            }
        }

        return new ActorTypeSettings(Duration(element, "actorIdleTimeout") ?? inherited.IdleTimeout, enabled, depth);
    }

    private static TimeSpan? Duration(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
        && DaprTime.TryParseGoDuration(value.GetString()!, out var parsed) && parsed > TimeSpan.Zero
            ? parsed
            : null;

    private static IEnumerable<string> Strings(JsonElement element, string name) =>
        element.TryGetProperty(name, out var array) && array.ValueKind == JsonValueKind.Array
            ? array.EnumerateArray().Where(v => v.ValueKind == JsonValueKind.String && v.GetString()!.Length > 0).Select(v => v.GetString()!)
            : [];
}
