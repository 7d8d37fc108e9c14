using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Dapr.Profiler.Dapr;

/// <summary>
/// Where the sidecar is and the tokens of both directions, read from the variables <c>dapr run</c>, the Kubernetes
/// injector and Tye set: <c>DAPR_HTTP_PORT</c> (3500), <c>DAPR_API_TOKEN</c> (sent as <c>dapr-api-token</c> on every
/// call to the sidecar), <c>APP_API_TOKEN</c> (expected on every call from the sidecar) and
/// <c>DAPR_HEALTH_TIMEOUT</c> (seconds to wait for the sidecar at start, 60).
/// </summary>
public sealed class DaprOptions
{
    public const string HttpPortVariable = "DAPR_HTTP_PORT";
    public const string ApiTokenVariable = "DAPR_API_TOKEN";
    public const string AppApiTokenVariable = "APP_API_TOKEN";
    public const string HealthTimeoutVariable = "DAPR_HEALTH_TIMEOUT";

    /// <summary>The header carrying both tokens.</summary>
    public const string ApiTokenHeader = "dapr-api-token";

    public const int DefaultHttpPort = 3500;

    public static readonly TimeSpan DefaultHealthTimeout = TimeSpan.FromSeconds(60);

    /// <summary>The sidecar's address; Dapr always serves the app on loopback.</summary>
    public string Host { get; set; } = "127.0.0.1";

    public int HttpPort { get; set; } = DefaultHttpPort;

    /// <summary>Sent as <c>dapr-api-token</c> on every request to the sidecar when set.</summary>
    public string? ApiToken { get; set; }

    /// <summary>When set, every app route except health paths requires <c>dapr-api-token</c> to equal it.</summary>
    public string? AppApiToken { get; set; }

    /// <summary>How long <see cref="DaprClient.WaitForSidecarAsync"/> polls the sidecar's outbound health.</summary>
    public TimeSpan HealthTimeout { get; set; } = DefaultHealthTimeout;

    /// <summary>How often the sidecar's health is polled while waiting.</summary>
    public TimeSpan HealthPollInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    public Uri HttpEndpoint => new($"http://{Host}:{HttpPort.ToString(CultureInfo.InvariantCulture)}/");

    /// <summary>Reads the Dapr variables from configuration (environment variables are a configuration source).</summary>
    /// <exception cref="InvalidOperationException">A variable holds a value that is not valid.</exception>
    public static DaprOptions FromConfiguration(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var options = new DaprOptions();
        if (configuration[HttpPortVariable] is { Length: > 0 } port)
        {
            if (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value is < 1 or > 65535)
            {
                throw new InvalidOperationException($"{HttpPortVariable}={port} is not a TCP port");
            }

            options.HttpPort = value;
        }

        options.ApiToken = NullIfEmpty(configuration[ApiTokenVariable]);
        options.AppApiToken = NullIfEmpty(configuration[AppApiTokenVariable]);
        if (configuration[HealthTimeoutVariable] is { Length: > 0 } timeout)
        {
            if (!double.TryParse(timeout, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) || seconds <= 0 || double.IsInfinity(seconds))
            {
                throw new InvalidOperationException($"{HealthTimeoutVariable}={timeout} is not a positive number of seconds");
            }

            options.HealthTimeout = TimeSpan.FromSeconds(seconds);
        }

        return options;
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
