using Microsoft.Extensions.Options;

namespace Dapr.Profiler.Mesh;

/// <summary>
/// Settings of the in-process actor runtime, bound from the <c>Actors</c> configuration section (under Dapr the same
/// values are reported by <c>GET /dapr/config</c>). To add a setting: add a property with its default here (defaults
/// live only in this class), document its trade-off, and check it in <see cref="ActorRuntimeOptionsValidator"/>.
/// </summary>
public sealed class ActorRuntimeOptions
{
    public const string SectionName = "Actors";

    /// <summary>
    /// The process's data directory; actor state and reminders live in its <c>actors/</c> folder. One runtime at a
    /// time may use it (a lock file enforces this). Use a local disk: writes rely on rename and fsync.
    /// </summary>
    public string DataDirectory { get; set; } = "data";

    /// <summary>
    /// How long an actor stays active without calls or reminders before it is deactivated (Dapr's
    /// <c>actorIdleTimeout</c>, default 60 minutes). Longer keeps more actors in memory; shorter re-reads state and
    /// re-runs activation more often.
    /// </summary>
    public TimeSpan ActorIdleTimeout { get; set; } = TimeSpan.FromMinutes(60);

    /// <summary>
    /// How often idle actors are looked for (Dapr's <c>actorScanInterval</c>). An actor is deactivated between
    /// <see cref="ActorIdleTimeout"/> and <see cref="ActorIdleTimeout"/> + this after its last use.
    /// </summary>
    public TimeSpan ScanInterval { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>Checks <see cref="ActorRuntimeOptions"/>, so a bad setting stops the host at start with a clear message.</summary>
public sealed class ActorRuntimeOptionsValidator : IValidateOptions<ActorRuntimeOptions>
{
    public ValidateOptionsResult Validate(string? name, ActorRuntimeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.DataDirectory))
        {
            failures.Add("Actors:DataDirectory is required");
        }

        if (options.ActorIdleTimeout <= TimeSpan.Zero)
        {
            failures.Add($"Actors:ActorIdleTimeout must be positive, not {options.ActorIdleTimeout}");
        }

        if (options.ScanInterval <= TimeSpan.Zero)
        {
            failures.Add($"Actors:ScanInterval must be positive, not {options.ScanInterval}");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
