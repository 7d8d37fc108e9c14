using System.Globalization;
using System.Text;

namespace Dapr.Profiler.Server.FunctionalTests.Support;

/// <summary>What the pyroscope-go client sends, beyond the shared <see cref="TestKit.IngestRequests"/>.</summary>
public static class PyroscopeGo
{
    /// <summary>
    /// The query string pyroscope-go builds: the name carries the session id, otel scope and tags; from/until in
    /// unix nanoseconds; no format (the body is multipart).
    /// </summary>
    public static string IngestUrl(string service, long fromNanos, params (string Key, string Value)[] tags)
    {
        ArgumentNullException.ThrowIfNull(tags);
        var name = new StringBuilder(service).Append("{__session_id__=0123456789abcdef,otel.scope.name=github.com/grafana/pyroscope-go");
        foreach (var (key, value) in tags)
        {
            name.Append(',').Append(key).Append('=').Append(value);
        }

        name.Append('}');
        return string.Create(
            CultureInfo.InvariantCulture,
            $"/ingest?name={Uri.EscapeDataString(name.ToString())}&from={fromNanos}&until={fromNanos + 10_000_000_000L}&spyName=gospy&sampleRate=100&units=samples&aggregationType=sum");
    }
}
