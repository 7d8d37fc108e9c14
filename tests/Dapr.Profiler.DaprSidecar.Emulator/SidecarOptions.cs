namespace Dapr.Profiler.DaprSidecar.Emulator;

/// <summary>One app behind an emulated sidecar.</summary>
public sealed record SidecarApp
{
    /// <summary>The Dapr app id (no dots).</summary>
    public required string AppId { get; init; }

    /// <summary>The app's own HTTP port on 127.0.0.1; null = no app channel (like daprd without --app-port).</summary>
    public int? AppPort { get; init; }

    /// <summary>DAPR_API_TOKEN: required from callers of this sidecar's API (health exempt).</summary>
    public string? ApiToken { get; init; }

    /// <summary>APP_API_TOKEN: sent to the app as <c>dapr-api-token</c> on app-channel requests.</summary>
    public string? AppApiToken { get; init; }
}

/// <summary>Settings of a <see cref="SidecarCluster"/>.</summary>
public sealed class SidecarClusterOptions
{
    /// <summary>The apps, one sidecar each.</summary>
    public required IReadOnlyList<SidecarApp> Apps { get; init; }

    /// <summary>Names of the <c>pubsub.in-memory</c>-like components (shared across all sidecars).</summary>
    public IReadOnlyList<string> PubSubNames { get; init; } = ["pubsub"];

    /// <summary><c>bindings.localstorage</c> components: binding name → rootPath.</summary>
    public IReadOnlyDictionary<string, string> LocalStorageBindings { get; init; } = new Dictionary<string, string>();

    /// <summary><c>bindings.aws.s3</c>-type components kept in memory: binding name → settings (shared by all sidecars).</summary>
    public IReadOnlyDictionary<string, S3BindingOptions> S3Bindings { get; init; } = new Dictionary<string, S3BindingOptions>();

    /// <summary>Delivery attempts per message and subscription before it is dead-lettered or dropped.</summary>
    public int MaxDeliveryAttempts { get; init; } = 5;

    /// <summary>First redelivery delay; doubles per attempt up to <see cref="MaxRedeliveryDelay"/>.</summary>
    public TimeSpan InitialRedeliveryDelay { get; init; } = TimeSpan.FromMilliseconds(10);

    /// <summary>Upper bound of the redelivery delay.</summary>
    public TimeSpan MaxRedeliveryDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>How long a sidecar waits for its app port to accept connections (daprd waits forever).</summary>
    public TimeSpan AppStartupTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Maximum API request body (daprd default 4 MiB).</summary>
    public long MaxRequestBodySize { get; init; } = 4 * 1024 * 1024;

    /// <summary>
    /// Where actor state and reminders are also kept (<c>actors.json</c>), so they outlive the emulator: a cluster started
    /// on the same directory reads them back. Null (default): in memory, for the cluster's lifetime.
    /// </summary>
    public string? ActorStateDirectory { get; init; }

    /// <summary>How long an actor call waits for a host of its type to be placed (daprd retries its placement lookup for about 5 s).</summary>
    public TimeSpan ActorPlacementTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>When a reminder's delivery failed (app down, no host, non-200), the same occurrence is tried again after this.</summary>
    public TimeSpan ActorReminderRetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    internal void Validate()
    {
        if (Apps.Count == 0)
        {
            throw new ArgumentException("at least one app is required", nameof(Apps));
        }

        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var app in Apps)
        {
            if (string.IsNullOrEmpty(app.AppId) || app.AppId.Contains('.', StringComparison.Ordinal))
            {
                throw new ArgumentException($"invalid app id '{app.AppId}'", nameof(Apps));
            }

            if (!ids.Add(app.AppId))
            {
                throw new ArgumentException($"duplicate app id '{app.AppId}'", nameof(Apps));
            }

            if (app.AppPort is <= 0 or > 65535)
            {
                throw new ArgumentException($"invalid app port {app.AppPort} for '{app.AppId}'", nameof(Apps));
            }
        }

        var duplicate = LocalStorageBindings.Keys.Intersect(S3Bindings.Keys, StringComparer.Ordinal).FirstOrDefault();
        if (duplicate is not null)
        {
            throw new ArgumentException($"binding name '{duplicate}' is configured twice", nameof(S3Bindings));
        }

        if (ActorPlacementTimeout < TimeSpan.Zero || ActorReminderRetryDelay <= TimeSpan.Zero)
        {
            throw new ArgumentException("ActorPlacementTimeout must not be negative and ActorReminderRetryDelay must be positive", nameof(ActorReminderRetryDelay));
        }

        if (MaxDeliveryAttempts < 1)
        {
            throw new ArgumentException("MaxDeliveryAttempts must be at least 1", nameof(MaxDeliveryAttempts));
        }
    }
}
