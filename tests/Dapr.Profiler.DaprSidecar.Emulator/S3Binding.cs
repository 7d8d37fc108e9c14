using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace Dapr.Profiler.DaprSidecar.Emulator;

/// <summary>
/// Settings of an emulated <c>bindings.aws.s3</c> component: objects are kept in memory, or, when
/// <see cref="Endpoint"/> is set, in that bucket of a real S3-protocol server (such as s3rver).
/// </summary>
public sealed record S3BindingOptions
{
    /// <summary>The bucket name (shows in <c>location</c> and list output; must exist on <see cref="Endpoint"/>).</summary>
    public required string Bucket { get; init; }

    /// <summary>URL of an S3-protocol server (path-style addressing) to keep the objects in; null keeps them in memory.</summary>
    public string? Endpoint { get; init; }

    /// <summary>Access key for <see cref="Endpoint"/>; null sends unsigned requests.</summary>
    public string? AccessKey { get; init; }

    /// <summary>Secret key for <see cref="Endpoint"/>.</summary>
    public string? SecretKey { get; init; }

    /// <summary>Signing region for <see cref="Endpoint"/>.</summary>
    public string Region { get; init; } = "us-east-1";

    /// <summary>Component-level <c>decodeBase64</c>.</summary>
    public bool DecodeBase64 { get; init; }

    /// <summary>Component-level <c>encodeBase64</c>.</summary>
    public bool EncodeBase64 { get; init; }
}

/// <summary>
/// <c>bindings.aws.s3</c> semantics (reference §4): create, get, delete, list, over an in-memory bucket or, when
/// <see cref="S3BindingOptions.Endpoint"/> is set, over a real S3-protocol server through AWSSDK.S3.
/// </summary>
internal sealed class S3Binding : IOutputBinding, IDisposable
{
    private readonly S3BindingOptions _options;
    private readonly ConcurrentDictionary<string, (byte[] Data, DateTimeOffset Modified)> _objects = new(StringComparer.Ordinal);
    private readonly AmazonS3Client? _client;

    public S3Binding(S3BindingOptions options)
    {
        _options = options;
        if (string.IsNullOrWhiteSpace(options.Endpoint))
        {
            return;
        }

        var config = new AmazonS3Config
        {
            ServiceURL = options.Endpoint,
            AuthenticationRegion = options.Region,
            ForcePathStyle = true,
            Timeout = TimeSpan.FromSeconds(30),
            MaxErrorRetry = 1,

            // Not every S3-compatible server implements the CRC checksums AWSSDK 4 adds by default.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        };
        _client = string.IsNullOrEmpty(options.AccessKey)
            ? new AmazonS3Client(new AnonymousAWSCredentials(), config)
            : new AmazonS3Client(new BasicAWSCredentials(options.AccessKey, options.SecretKey ?? string.Empty), config);
    }

    public string Type => "bindings.aws.s3";

    public async Task<BindingResult> InvokeAsync(
        string operation, string goData, IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken)
    {
        try
        {
            return operation switch
            {
                "create" => await CreateAsync(goData, metadata, cancellationToken),
                "get" => await GetAsync(metadata, cancellationToken),
                "delete" => await DeleteAsync(metadata, cancellationToken),
                "list" => await ListAsync(goData, cancellationToken),
                _ => throw new BindingException($"binding error: unsupported operation {operation}"),
            };
        }
        catch (AmazonS3Exception e) when (e.ErrorCode == "NoSuchKey")
        {
            throw new BindingException("object not found");
        }
        catch (AmazonServiceException e)
        {
            throw new BindingException($"s3 binding error: {e.ErrorCode}: {e.Message}");
        }
        catch (AmazonClientException e)
        {
            throw new BindingException($"s3 binding error: {e.Message}");
        }
    }

    public void Dispose() => _client?.Dispose();

    private static bool Flag(IReadOnlyDictionary<string, string> metadata, string key, bool componentValue) =>
        metadata.TryGetValue(key, out var value) && GoBool.TryParse(value, out var parsed) ? parsed : componentValue;

    private static string RequiredKey(IReadOnlyDictionary<string, string> metadata) =>
        metadata.TryGetValue("key", out var key) && key.Length > 0
            ? key
            : throw new BindingException("s3 binding error: required metadata 'key' missing");

    private async Task<BindingResult> CreateAsync(string goData, IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken)
    {
        var key = metadata.TryGetValue("key", out var k) && k.Length > 0 ? k : Guid.NewGuid().ToString();
        var text = GoJsonText.Unquote(goData);
        byte[] bytes;
        if (Flag(metadata, "decodeBase64", _options.DecodeBase64))
        {
            try
            {
                bytes = Convert.FromBase64String(text);
            }
            catch (FormatException e)
            {
                throw new BindingException($"s3 binding error: error decoding base64: {e.Message}");
            }
        }
        else
        {
            bytes = Encoding.UTF8.GetBytes(text);
        }

        string location;
        string? versionId = null;
        if (_client is null)
        {
            _objects[key] = (bytes, DateTimeOffset.UtcNow);
            location = $"http://s3.emulator/{_options.Bucket}/{key}";
        }
        else
        {
            using var body = new MemoryStream(bytes, writable: false);
            var response = await _client.PutObjectAsync(
                new PutObjectRequest
                {
                    BucketName = _options.Bucket,
                    Key = key,
                    InputStream = body,
                    AutoCloseStream = false,
                    UseChunkEncoding = false,
                },
                cancellationToken);
            versionId = string.IsNullOrEmpty(response.VersionId) ? null : response.VersionId;
            location = $"{_options.Endpoint!.TrimEnd('/')}/{_options.Bucket}/{key}";
        }

        var output = new JsonObject
        {
            ["location"] = location,
            ["versionID"] = versionId,
        };
        return new BindingResult(Encoding.UTF8.GetBytes(output.ToJsonString()), new Dictionary<string, string> { ["key"] = key });
    }

    private async Task<BindingResult> GetAsync(IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken)
    {
        var key = RequiredKey(metadata);
        byte[] data;
        if (_client is null)
        {
            data = _objects.TryGetValue(key, out var entry) ? entry.Data : throw new BindingException("object not found");
        }
        else
        {
            using var response = await _client.GetObjectAsync(_options.Bucket, key, cancellationToken);
            using var buffer = new MemoryStream();
            await response.ResponseStream.CopyToAsync(buffer, cancellationToken);
            data = buffer.ToArray();
        }

        return new BindingResult(
            Flag(metadata, "encodeBase64", _options.EncodeBase64) ? Encoding.UTF8.GetBytes(Convert.ToBase64String(data)) : data,
            new Dictionary<string, string>());
    }

    private async Task<BindingResult> DeleteAsync(IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken)
    {
        var key = RequiredKey(metadata);
        if (_client is null)
        {
            _objects.TryRemove(key, out _);
        }
        else
        {
            await _client.DeleteObjectAsync(_options.Bucket, key, cancellationToken);
        }

        return new BindingResult(null, new Dictionary<string, string>());
    }

    private async Task<BindingResult> ListAsync(string goData, CancellationToken cancellationToken)
    {
        var maxResults = 1000;
        string prefix = string.Empty, marker = string.Empty, delimiter = string.Empty;
        if (goData != "null")
        {
            try
            {
                using var document = JsonDocument.Parse(goData);
                var root = document.RootElement;
                if (root.ValueKind != JsonValueKind.Object)
                {
                    throw new BindingException("s3 binding (List Operation) - unable to parse Data property");
                }

                if (root.TryGetProperty("maxResults", out var m) && m.ValueKind == JsonValueKind.Number && m.GetDouble() >= 1)
                {
                    maxResults = (int)m.GetDouble();
                }

                prefix = StringProperty(root, "prefix");
                marker = StringProperty(root, "marker");
                delimiter = StringProperty(root, "delimiter");
            }
            catch (JsonException)
            {
                throw new BindingException("s3 binding (List Operation) - unable to parse Data property");
            }
        }

        var output = _client is null
            ? ListInMemory(prefix, marker, delimiter, maxResults)
            : await ListOnServerAsync(_client, prefix, marker, delimiter, maxResults, cancellationToken);
        return new BindingResult(Encoding.UTF8.GetBytes(output.ToJsonString()), new Dictionary<string, string>());
    }

    private JsonObject ListInMemory(string prefix, string marker, string delimiter, int maxResults)
    {
        var contents = new JsonArray();
        var commonPrefixes = new SortedSet<string>(StringComparer.Ordinal);
        var count = 0;
        var truncated = false;
        string? lastKey = null;
        foreach (var (key, entry) in _objects.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (!key.StartsWith(prefix, StringComparison.Ordinal) || string.CompareOrdinal(key, marker) <= 0)
            {
                continue;
            }

            if (count == maxResults)
            {
                truncated = true;
                break;
            }

            if (delimiter.Length > 0)
            {
                var at = key.IndexOf(delimiter, prefix.Length, StringComparison.Ordinal);
                if (at >= 0)
                {
                    if (commonPrefixes.Add(key[..(at + delimiter.Length)]))
                    {
                        count++;
                    }

                    lastKey = key;
                    continue;
                }
            }

            contents.Add(new JsonObject
            {
#pragma warning disable CA5351 // An S3 ETag is the MD5 of the object, not a security measure.
                ["ETag"] = "\"" + Convert.ToHexStringLower(MD5.HashData(entry.Data)) + "\"",
#pragma warning restore CA5351
                ["Key"] = key,
                ["LastModified"] = GoTime(entry.Modified),
                ["Owner"] = null,
                ["Size"] = entry.Data.Length,
                ["StorageClass"] = "STANDARD",
            });
            count++;
            lastKey = key;
        }

        return ListOutput(
            [.. commonPrefixes], contents, delimiter, truncated, marker, maxResults, _options.Bucket, truncated ? lastKey : null, prefix);
    }

    /// <summary>One ListObjects (version 1) request, as the Go component makes it, in the Go SDK's output shape.</summary>
    private async Task<JsonObject> ListOnServerAsync(
        AmazonS3Client client, string prefix, string marker, string delimiter, int maxResults, CancellationToken cancellationToken)
    {
        var request = new ListObjectsRequest { BucketName = _options.Bucket, MaxKeys = maxResults };
        if (prefix.Length > 0)
        {
            request.Prefix = prefix;
        }

        if (marker.Length > 0)
        {
            request.Marker = marker;
        }

        if (delimiter.Length > 0)
        {
            request.Delimiter = delimiter;
        }

        var response = await client.ListObjectsAsync(request, cancellationToken);
        var contents = new JsonArray();
        foreach (var item in response.S3Objects ?? [])
        {
            contents.Add(new JsonObject
            {
                ["ETag"] = item.ETag,
                ["Key"] = item.Key,
                ["LastModified"] = item.LastModified is { } modified ? GoTime(new DateTimeOffset(modified.ToUniversalTime(), TimeSpan.Zero)) : null,
                ["Owner"] = item.Owner is null ? null : new JsonObject { ["DisplayName"] = item.Owner.DisplayName, ["ID"] = item.Owner.Id },
                ["Size"] = item.Size ?? 0,
                ["StorageClass"] = item.StorageClass?.Value,
            });
        }

        return ListOutput(
            response.CommonPrefixes ?? [],
            contents,
            delimiter,
            response.IsTruncated ?? false,
            marker,
            maxResults,
            string.IsNullOrEmpty(response.Name) ? _options.Bucket : response.Name,
            response.NextMarker,
            prefix);
    }

    private static JsonObject ListOutput(
        List<string> commonPrefixes,
        JsonArray contents,
        string delimiter,
        bool truncated,
        string marker,
        int maxKeys,
        string name,
        string? nextMarker,
        string prefix) => new()
    {
        ["CommonPrefixes"] = commonPrefixes.Count == 0 ? null : new JsonArray([.. commonPrefixes.Select(p => (JsonNode)new JsonObject { ["Prefix"] = p })]),
        ["Contents"] = contents.Count == 0 ? null : contents,
        ["Delimiter"] = delimiter.Length == 0 ? null : delimiter,
        ["IsTruncated"] = truncated,
        ["Marker"] = marker,
        ["MaxKeys"] = maxKeys,
        ["Name"] = name,
        ["NextMarker"] = string.IsNullOrEmpty(nextMarker) ? null : nextMarker,
        ["Prefix"] = prefix,
    };

    /// <summary>A time as Go's <c>time.Time</c> marshals it (RFC 3339 with fractional seconds only when nonzero).</summary>
    private static string GoTime(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture);

    private static string StringProperty(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : string.Empty;
}
