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

    /// <summary>
    /// Which services run here: <c>all</c> (the default, every service in one process) or a comma-separated list
    /// of app-ids (<c>distributor</c>, <c>segment-writer</c>, <c>metastore</c>, ...).
    /// </summary>
    [Required]
    public string Target { get; set; } = "all";

    /// <summary>Where the metastore keeps its log and the filesystem bucket keeps objects (default <c>./data</c>).</summary>
    [Required]
    public string DataDir { get; set; } = "./data";

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

/// <summary>A setting that makes the server unable to start; the message says which and why.</summary>
public sealed class InvalidServerOptionsException(string message) : Exception(message);
