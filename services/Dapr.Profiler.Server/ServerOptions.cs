using System.ComponentModel.DataAnnotations;
using Dapr.Profiler.Mesh;

namespace Dapr.Profiler.Server;

/// <summary>
/// Process-level settings, from the command line (<c>--target</c>, <c>--data-dir</c>) or configuration.
/// </summary>
public sealed class ServerOptions
{
    /// <summary>The default listen address: Pyroscope's port, loopback only.</summary>
    public const string DefaultUrl = "http://127.0.0.1:4040";

    /// <summary>The longest request line, and the most header bytes, Kestrel accepts (1 MiB, as Go's net/http).</summary>
    public const int MaxRequestLineBytes = 1024 * 1024;

    /// <summary>
    /// Which services run here: <c>all</c> (the default, every service in one process) or a comma-separated list
    /// of app-ids (<c>distributor</c>, <c>segment-writer</c>, <c>metastore</c>, ...).
    /// </summary>
    [Required]
    public string Target { get; set; } = "all";

    /// <summary>Where the metastore keeps its log and the filesystem bucket keeps objects (default <c>./data</c>).</summary>
    [Required]
    public string DataDir { get; set; } = "./data";

    /// <summary>
    /// Which mesh implementation connects the services: <c>inprocess</c> (direct calls inside this process) or
    /// <c>dapr</c> (service invocation and pub/sub through the Dapr sidecar). Null or empty = automatic:
    /// <c>dapr</c> when <c>DAPR_HTTP_PORT</c> is set (as <c>dapr run</c>, the Kubernetes injector and Tye do), else
    /// <c>inprocess</c>.
    /// </summary>
    public string? Mesh { get; set; }

    /// <summary>The mesh this process uses; <paramref name="daprHttpPort"/> is the <c>DAPR_HTTP_PORT</c> setting.</summary>
    public MeshKind ResolveMesh(string? daprHttpPort) => Mesh?.Trim().ToLowerInvariant() switch
    {
        null or "" => string.IsNullOrEmpty(daprHttpPort) ? MeshKind.InProcess : MeshKind.Dapr,
        "inprocess" or "in-process" => MeshKind.InProcess,
        "dapr" => MeshKind.Dapr,
        _ => throw new InvalidServerOptionsException($"unknown --mesh \"{Mesh}\"; use inprocess or dapr"),
    };

    /// <summary>The app-ids this process hosts.</summary>
    public IReadOnlySet<string> Targets()
    {
        var parts = Target.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Contains("all", StringComparer.Ordinal))
        {
            return DaprNames.AppIds.All.ToHashSet(StringComparer.Ordinal);
        }

        foreach (var part in parts)
        {
            if (!DaprNames.AppIds.All.Contains(part, StringComparer.Ordinal))
            {
                throw new InvalidServerOptionsException($"unknown --target \"{part}\"; use all or any of: {string.Join(", ", DaprNames.AppIds.All)}");
            }
        }

        return parts.ToHashSet(StringComparer.Ordinal);
    }
}

/// <summary>How the services of a process reach each other and the services of other processes.</summary>
public enum MeshKind
{
    /// <summary>The in-process mesh: every invoked app-id must be hosted in this process.</summary>
    InProcess,

    /// <summary>The Dapr sidecar at <c>DAPR_HTTP_PORT</c>: one process per app-id (or any grouping).</summary>
    Dapr,
}

/// <summary>A setting that makes the server unable to start; the message says which and why.</summary>
public sealed class InvalidServerOptionsException(string message) : Exception(message);
