using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dapr.Profiler.Mesh;

namespace Dapr.Profiler.Dapr;

/// <summary>
/// A thin typed client over the Dapr sidecar's HTTP API (the subset this project uses), named like the Dapr SDK's
/// <c>DaprClient</c>. Every request carries <c>dapr-api-token</c> when <see cref="DaprOptions.ApiToken"/> is set.
/// Failures are <see cref="DaprApiException"/>s (a <see cref="ServiceException"/>): an app's error relayed by
/// invocation keeps its status; sidecar errors are mapped by code and status; no answer at all is
/// <see cref="ServiceStatus.Unavailable"/>.
/// </summary>
public sealed class DaprClient
{
    private const string JsonContentType = "application/json";
    private const string MetadataPrefix = "metadata.";
    private readonly HttpClient _http;
    private readonly DaprOptions _options;

    /// <remarks><paramref name="http"/>: The client to send with; its base address is set to the sidecar's if it has none.</remarks>
    public DaprClient(HttpClient http, DaprOptions options)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(options);
        _http = http;
        _options = options;
        _http.BaseAddress ??= options.HttpEndpoint;
    }

    public DaprOptions Options => _options;

    /// <summary>
    /// Invokes <paramref name="method"/> of <paramref name="appId"/>: <c>POST /v1.0/invoke/{appId}/method/{method}</c>.
    /// </summary>
    /// <remarks><paramref name="method"/>: The target path; slashes separate segments (<c>pkg.v1.Service/Method</c>).</remarks>
    /// <returns>The app's response body.</returns>
    /// <exception cref="DaprApiException">The app answered an error, or the sidecar could not deliver the call.</exception>
    public async Task<byte[]> InvokeMethodAsync(string appId, string method, byte[] body, string contentType, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(appId);
        ArgumentException.ThrowIfNullOrEmpty(method);
        ArgumentNullException.ThrowIfNull(body);
        ArgumentException.ThrowIfNullOrEmpty(contentType);
        var path = $"v1.0/invoke/{Uri.EscapeDataString(appId)}/method/{EscapePath(method.TrimStart('/'))}";
        using var request = NewRequest(HttpMethod.Post, path);
        request.Content = Content(body, contentType);
        var what = $"invoking {appId}/{method}";
        using var response = await SendAsync(request, what, cancellationToken);
        var bytes = await ReadBodyAsync(response, what, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw DaprErrors.FromResponse(response.StatusCode, bytes, what);
        }

        return bytes;
    }

    /// <summary>
    /// Publishes an event: <c>POST /v1.0/publish/{pubsub}/{topic}?metadata.k=v</c>. The content type becomes the
    /// CloudEvent's <c>datacontenttype</c>; metadata <c>rawPayload=true</c> sends the bytes to the broker unwrapped.
    /// </summary>
    /// <exception cref="DaprApiException">The sidecar did not accept the event.</exception>
    public async Task PublishEventAsync(string pubSubName, string topicName, ReadOnlyMemory<byte> data, string contentType, IReadOnlyDictionary<string, string>? metadata = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(pubSubName);
        ArgumentException.ThrowIfNullOrEmpty(topicName);
        ArgumentException.ThrowIfNullOrEmpty(contentType);
        var path = $"v1.0/publish/{Uri.EscapeDataString(pubSubName)}/{EscapePath(topicName)}{MetadataQuery(metadata)}";
        using var request = NewRequest(HttpMethod.Post, path);
        request.Content = Content(data, contentType);
        var what = $"publishing to {pubSubName}/{topicName}";
        using var response = await SendAsync(request, what, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw DaprErrors.FromResponse(response.StatusCode, await ReadBodyAsync(response, what, cancellationToken), what);
        }
    }

    /// <summary>
    /// Publishes several events in one call: <c>POST /v1.0-alpha1/publish/bulk/{pubsub}/{topic}?metadata.k=v</c>.
    /// A partial failure is not an exception: the entries that failed are returned.
    /// </summary>
    /// <exception cref="DaprApiException">The request was refused as a whole.</exception>
    public async Task<BulkPublishResponse> BulkPublishAsync(string pubSubName, string topicName, IReadOnlyList<BulkPublishEntry> entries, IReadOnlyDictionary<string, string>? metadata = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(pubSubName);
        ArgumentException.ThrowIfNullOrEmpty(topicName);
        ArgumentNullException.ThrowIfNull(entries);
        var path = $"v1.0-alpha1/publish/bulk/{Uri.EscapeDataString(pubSubName)}/{EscapePath(topicName)}{MetadataQuery(metadata)}";
        using var request = NewRequest(HttpMethod.Post, path);
        request.Content = Content(WriteBulkEntries(entries), JsonContentType);
        var what = $"bulk publishing to {pubSubName}/{topicName}";
        using var response = await SendAsync(request, what, cancellationToken);
        var body = await ReadBodyAsync(response, what, cancellationToken);
        if (response.IsSuccessStatusCode)
        {
            return new BulkPublishResponse([]);
        }

        if (response.StatusCode == HttpStatusCode.InternalServerError && ReadFailedEntries(body) is { Count: > 0 } failed)
        {
            return new BulkPublishResponse(failed);
        }

        throw DaprErrors.FromResponse(response.StatusCode, body, what);
    }

    /// <summary>
    /// Invokes an output binding: <c>POST /v1.0/bindings/{name}</c> with <c>{"data", "metadata", "operation"}</c>.
    /// </summary>
    /// <remarks><paramref name="data"/>: Any JSON value (null for none). Storage bindings want text or base64 as a JSON string.</remarks>
    /// <returns>The raw response bytes and the response metadata headers.</returns>
    /// <exception cref="DaprApiException">The binding failed; its <see cref="DaprApiException.Metadata"/> holds the response metadata.</exception>
    public async Task<BindingResponse> InvokeBindingAsync(string bindingName, string operation, JsonNode? data, IReadOnlyDictionary<string, string>? metadata = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(bindingName);
        ArgumentException.ThrowIfNullOrEmpty(operation);
        using var request = NewRequest(HttpMethod.Post, $"v1.0/bindings/{Uri.EscapeDataString(bindingName)}");
        request.Content = Content(WriteBindingRequest(operation, data, metadata), JsonContentType);
        var what = $"invoking binding {bindingName} ({operation})";
        using var response = await SendAsync(request, what, cancellationToken);
        var body = await ReadBodyAsync(response, what, cancellationToken);
        var responseMetadata = ReadResponseMetadata(response);
        if (!response.IsSuccessStatusCode)
        {
            throw DaprErrors.FromResponse(response.StatusCode, body, what, responseMetadata);
        }

        return new BindingResponse(body, response.Content.Headers.ContentType?.ToString(), responseMetadata);
    }

    /// <summary>Whether the sidecar's outbound API is ready: <c>GET /v1.0/healthz/outbound</c> answers <c>204</c>.</summary>
    public async Task<bool> CheckOutboundHealthAsync(CancellationToken cancellationToken = default)
    {
        using var request = NewRequest(HttpMethod.Get, "v1.0/healthz/outbound");
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            return response.StatusCode == HttpStatusCode.NoContent;
        }
        catch (HttpRequestException)
        {
            return false;
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>
    /// Polls <c>GET /v1.0/healthz/outbound</c> until it answers <c>204</c>, for at most
    /// <see cref="DaprOptions.HealthTimeout"/> (<c>DAPR_HEALTH_TIMEOUT</c>).
    /// </summary>
    /// <exception cref="DaprApiException">The deadline passed (<see cref="ServiceStatus.Unavailable"/>).</exception>
    public async Task WaitForSidecarAsync(CancellationToken cancellationToken = default)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_options.HealthTimeout);
        try
        {
            while (!await CheckOutboundHealthAsync(deadline.Token))
            {
                await Task.Delay(_options.HealthPollInterval, deadline.Token);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new DaprApiException(
                ServiceStatus.Unavailable,
                $"the Dapr sidecar at {_options.HttpEndpoint} was not ready within {_options.HealthTimeout.TotalSeconds:0.###} s ({DaprOptions.HealthTimeoutVariable})",
                httpStatus: null,
                errorCode: null);
        }
    }

    private HttpRequestMessage NewRequest(HttpMethod method, string relativePath)
    {
        var request = new HttpRequestMessage(method, new Uri(relativePath, UriKind.Relative));
        if (_options.ApiToken is { } token)
        {
            request.Headers.TryAddWithoutValidation(DaprOptions.ApiTokenHeader, token);
        }

        return request;
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, string what, CancellationToken cancellationToken)
    {
        try
        {
            return await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        }
        catch (HttpRequestException ex)
        {
            throw DaprErrors.Unreachable(what, ex);
        }
        catch (TaskCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new DaprApiException(ServiceStatus.DeadlineExceeded, $"{what}: the Dapr sidecar did not answer in time", ex);
        }
    }

    private static async Task<byte[]> ReadBodyAsync(HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        try
        {
            return await response.Content.ReadAsByteArrayAsync(cancellationToken);
        }
        catch (HttpRequestException ex)
        {
            throw DaprErrors.Unreachable(what, ex);
        }
    }

    private static ReadOnlyMemoryContent Content(ReadOnlyMemory<byte> body, string contentType)
    {
        var content = new ReadOnlyMemoryContent(body);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        return content;
    }

    /// <summary>Escapes each segment of a path, keeping the slashes between them.</summary>
    internal static string EscapePath(string path) => string.Join('/', path.Split('/').Select(Uri.EscapeDataString));

    internal static string MetadataQuery(IReadOnlyDictionary<string, string>? metadata)
    {
        if (metadata is null || metadata.Count == 0)
        {
            return string.Empty;
        }

        var query = new StringBuilder();
        foreach (var (key, value) in metadata)
        {
            query.Append(query.Length == 0 ? '?' : '&')
                .Append(Uri.EscapeDataString(MetadataPrefix + key))
                .Append('=')
                .Append(Uri.EscapeDataString(value));
        }

        return query.ToString();
    }

    private static Dictionary<string, string> ReadResponseMetadata(HttpResponseMessage response)
    {
        var metadata = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
        {
            if (name.StartsWith(MetadataPrefix, StringComparison.OrdinalIgnoreCase) && name.Length > MetadataPrefix.Length)
            {
                metadata[name[MetadataPrefix.Length..]] = string.Join(',', values);
            }
        }

        return metadata;
    }

    private static byte[] WriteBindingRequest(string operation, JsonNode? data, IReadOnlyDictionary<string, string>? metadata)
    {
        using var buffer = new MemoryStream();

        // Relaxed escaping: the default encoder writes '+' (common in base64 data) as six bytes, \u002B, which would
        // inflate binary payloads by up to half and break the body-size budget of DaprBindingObjectStore.
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            writer.WritePropertyName("data");
            if (data is null)
            {
                writer.WriteNullValue();
            }
            else
            {
                data.WriteTo(writer);
            }

            WriteMetadata(writer, metadata);
            writer.WriteString("operation", operation);
            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }

    private static byte[] WriteBulkEntries(IReadOnlyList<BulkPublishEntry> entries)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            foreach (var entry in entries)
            {
                ArgumentException.ThrowIfNullOrEmpty(entry.EntryId, nameof(entries));
                writer.WriteStartObject();
                writer.WriteString("entryId", entry.EntryId);
                writer.WritePropertyName("event");
                if (IsJson(entry.ContentType))
                {
                    using var document = JsonDocument.Parse(entry.Event);
                    document.WriteTo(writer);
                }
                else if (entry.ContentType.StartsWith("text/", StringComparison.OrdinalIgnoreCase))
                {
                    writer.WriteStringValue(Encoding.UTF8.GetString(entry.Event.Span));
                }
                else
                {
                    writer.WriteBase64StringValue(entry.Event.Span);
                }

                writer.WriteString("contentType", entry.ContentType);
                if (entry.Metadata is { Count: > 0 })
                {
                    WriteMetadata(writer, entry.Metadata);
                }

                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }

        return buffer.ToArray();
    }

    private static void WriteMetadata(Utf8JsonWriter writer, IReadOnlyDictionary<string, string>? metadata)
    {
        writer.WriteStartObject("metadata");
        if (metadata is not null)
        {
            foreach (var (key, value) in metadata)
            {
                writer.WriteString(key, value);
            }
        }

        writer.WriteEndObject();
    }

    /// <summary>Whether a content type is one Dapr parses as JSON (<c>application/json</c>, parameters allowed).</summary>
    internal static bool IsJson(string contentType) =>
        MediaTypeHeaderValue.TryParse(contentType, out var parsed) && string.Equals(parsed.MediaType, JsonContentType, StringComparison.OrdinalIgnoreCase);

    private static List<BulkPublishFailedEntry>? ReadFailedEntries(byte[] body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("failedEntries", out var failed)
                || failed.ValueKind != JsonValueKind.Array)
            {
                return null;
            }

            var result = new List<BulkPublishFailedEntry>();
            foreach (var entry in failed.EnumerateArray())
            {
                var id = entry.TryGetProperty("entryId", out var idValue) ? idValue.GetString() : null;
                var error = entry.TryGetProperty("error", out var errorValue) ? errorValue.GetString() : null;
                result.Add(new BulkPublishFailedEntry(id ?? string.Empty, error ?? string.Empty));
            }

            return result;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            return null;
        }
    }
}
