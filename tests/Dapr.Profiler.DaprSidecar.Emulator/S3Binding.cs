using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Dapr.Profiler.DaprSidecar.Emulator;

/// <summary>Settings of an emulated <c>bindings.aws.s3</c> component (objects kept in memory).</summary>
public sealed record S3BindingOptions
{
    /// <summary>The bucket name (shows in <c>location</c> and list output).</summary>
    public required string Bucket { get; init; }

    /// <summary>Component-level <c>decodeBase64</c>.</summary>
    public bool DecodeBase64 { get; init; }

    /// <summary>Component-level <c>encodeBase64</c>.</summary>
    public bool EncodeBase64 { get; init; }
}

/// <summary><c>bindings.aws.s3</c> semantics (reference §4) over an in-memory bucket: create, get, delete, list.</summary>
internal sealed class S3Binding(S3BindingOptions options) : IOutputBinding
{
    private readonly ConcurrentDictionary<string, (byte[] Data, DateTimeOffset Modified)> _objects = new(StringComparer.Ordinal);

    public string Type => "bindings.aws.s3";

    public BindingResult Invoke(string operation, string goData, IReadOnlyDictionary<string, string> metadata) => operation switch
    {
        "create" => Create(goData, metadata),
        "get" => Get(metadata),
        "delete" => Delete(metadata),
        "list" => List(goData),
        _ => throw new BindingException($"binding error: unsupported operation {operation}"),
    };

    private static bool Flag(IReadOnlyDictionary<string, string> metadata, string key, bool componentValue) =>
        metadata.TryGetValue(key, out var value) && GoBool.TryParse(value, out var parsed) ? parsed : componentValue;

    private BindingResult Create(string goData, IReadOnlyDictionary<string, string> metadata)
    {
        var key = metadata.TryGetValue("key", out var k) && k.Length > 0 ? k : Guid.NewGuid().ToString();
        var text = GoJsonText.Unquote(goData);
        byte[] bytes;
        if (Flag(metadata, "decodeBase64", options.DecodeBase64))
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

        _objects[key] = (bytes, DateTimeOffset.UtcNow);
        var response = new JsonObject
        {
            ["location"] = $"http://s3.emulator/{options.Bucket}/{key}",
            ["versionID"] = null,
        };
        return new BindingResult(Encoding.UTF8.GetBytes(response.ToJsonString()), new Dictionary<string, string> { ["key"] = key });
    }

    private BindingResult Get(IReadOnlyDictionary<string, string> metadata)
    {
        if (!metadata.TryGetValue("key", out var key) || key.Length == 0)
        {
            throw new BindingException("s3 binding error: required metadata 'key' missing");
        }

        if (!_objects.TryGetValue(key, out var entry))
        {
            throw new BindingException("object not found");
        }

        var data = Flag(metadata, "encodeBase64", options.EncodeBase64) ? Encoding.UTF8.GetBytes(Convert.ToBase64String(entry.Data)) : entry.Data;
        return new BindingResult(data, new Dictionary<string, string>());
    }

    private BindingResult Delete(IReadOnlyDictionary<string, string> metadata)
    {
        if (!metadata.TryGetValue("key", out var key) || key.Length == 0)
        {
            throw new BindingException("s3 binding error: required metadata 'key' missing");
        }

        _objects.TryRemove(key, out _);
        return new BindingResult(null, new Dictionary<string, string>());
    }

    private BindingResult List(string goData)
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
                ["LastModified"] = entry.Modified.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
                ["Owner"] = null,
                ["Size"] = entry.Data.Length,
                ["StorageClass"] = "STANDARD",
            });
            count++;
            lastKey = key;
        }

        var output = new JsonObject
        {
            ["CommonPrefixes"] = commonPrefixes.Count == 0 ? null : new JsonArray([.. commonPrefixes.Select(p => (JsonNode)new JsonObject { ["Prefix"] = p })]),
            ["Contents"] = contents.Count == 0 ? null : contents,
            ["Delimiter"] = delimiter.Length == 0 ? null : delimiter,
            ["IsTruncated"] = truncated,
            ["Marker"] = marker,
            ["MaxKeys"] = maxResults,
            ["Name"] = options.Bucket,
            ["NextMarker"] = truncated ? lastKey : null,
            ["Prefix"] = prefix,
        };
        return new BindingResult(Encoding.UTF8.GetBytes(output.ToJsonString()), new Dictionary<string, string>());
    }

    private static string StringProperty(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : string.Empty;
}
