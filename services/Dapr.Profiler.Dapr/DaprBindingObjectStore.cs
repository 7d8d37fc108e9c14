using System.Globalization;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Dapr.Profiler.Mesh;
using Dapr.Profiler.ObjectStorage;
using Microsoft.Extensions.Logging;

namespace Dapr.Profiler.Dapr;

/// <summary>
/// <see cref="IObjectStore"/> over a Dapr output binding (<c>bindings.localstorage</c>, <c>bindings.aws.s3</c>,
/// <c>bindings.azure.blobstorage</c>, <c>bindings.gcp.bucket</c>). Data travels base64-encoded in the JSON body.
/// <para>
/// <b>No range reads</b>: no storage binding can read part of an object, so <see cref="SupportsRangeReads"/> is false
/// and <see cref="GetRangeAsync"/> downloads the object (or the parts the range touches) and slices it. Readers should
/// prefer one whole-object read to several range reads.
/// </para>
/// <para>
/// <b>Objects larger than one request</b> (<see cref="DaprBindingObjectStoreOptions.MaxPartBytes"/>) are stored as
/// parts <c>{key}.part-{generation}-{index:0000}</c>, written first, then a small text manifest at <c>{key}</c>,
/// whose appearance commits the object. Reads reassemble and verify the SHA-256; listings hide parts; deletes remove
/// the manifest first, then the parts. Data that itself begins with the manifest magic is always stored in parts,
/// so an object beginning with the magic is always a manifest. Keys ending like a part key are reserved.
/// </para>
/// <para>
/// Concurrent puts of one key are not coordinated (bindings have no conditional writes): the last manifest wins, and
/// the loser's parts are removed by the next put or delete of the key.
/// </para>
/// </summary>
public sealed partial class DaprBindingObjectStore : IObjectStore
{
    /// <summary>The first line of a manifest.</summary>
    public const string ManifestMagic = "dapr-profiler-parts/1";

    private const string MarkerDirectory = ".dapr-objectstore";
    private const int MaxReadAttempts = 3;
    private static readonly byte[] MagicBytes = Encoding.ASCII.GetBytes(ManifestMagic + "\n");

    private readonly DaprClient _client;
    private readonly DaprBindingObjectStoreOptions _options;
    private readonly ILogger<DaprBindingObjectStore> _logger;
    private readonly string _type;
    private readonly string _prefix;
    private string? _localRoot;

    public DaprBindingObjectStore(DaprClient client, DaprBindingObjectStoreOptions options, ILogger<DaprBindingObjectStore> logger)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        options.Validate();
        _client = client;
        _options = options;
        _logger = logger;
        _type = options.NormalizedType;
        _prefix = options.NormalizedPrefix;
        if (!string.IsNullOrEmpty(options.LocalStorageRootPath))
        {
            _localRoot = options.LocalStorageRootPath.Replace('\\', '/').TrimEnd('/');
        }

        BindingStoreLog.Opened(logger, options.BindingName, _type, _prefix, options.MaxPartBytes);
    }

    public bool SupportsRangeReads => false;

    /// <summary>The largest object stored in one piece.</summary>
    public int MaxPartBytes => _options.MaxPartBytes;

    [GeneratedRegex(@"\.part-[0-9a-f]{16}-[0-9]{4,}$", RegexOptions.CultureInvariant)]
    private static partial Regex PartKeyPattern();

    /// <summary>Whether <paramref name="key"/> names a part of a larger object (hidden, reserved).</summary>
    public static bool IsPartKey(string key) => PartKeyPattern().IsMatch(key);

    private static bool IsReserved(string key) => IsPartKey(key) || key == MarkerDirectory || key.StartsWith(MarkerDirectory + "/", StringComparison.Ordinal);

    private static void ValidateKey(string key)
    {
        ObjectKeys.Validate(key);
        if (IsReserved(key))
        {
            throw new InvalidObjectKeyException(key, "the key is reserved for the parts of large objects");
        }
    }

    private static string PartKey(string bindingKey, string generation, int index) =>
        $"{bindingKey}.part-{generation}-{index.ToString("D4", CultureInfo.InvariantCulture)}";

    public async Task PutAsync(string key, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        ValidateKey(key);
        cancellationToken.ThrowIfCancellationRequested();
        var bindingKey = _prefix + key;
        var maxPart = _options.MaxPartBytes;
        string? generation = null;
        if (data.Length <= maxPart && !data.Span.StartsWith(MagicBytes))
        {
            await CreateAsync(bindingKey, data, cancellationToken);
        }
        else
        {
            // The generation comes from the content: a retried put of the same bytes (after a timeout whose first
            // attempt may still complete at the sidecar) writes the same part keys and an equivalent manifest, so a
            // late write of the earlier attempt can never point the key at parts the retry removed.
            var sha256 = Convert.ToHexStringLower(SHA256.HashData(data.Span));
            generation = sha256[..16];
            var parts = Math.Max(1, (data.Length + maxPart - 1) / maxPart);
            for (var i = 0; i < parts; i++)
            {
                var offset = i * maxPart;
                await CreateAsync(PartKey(bindingKey, generation, i), data.Slice(offset, Math.Min(maxPart, data.Length - offset)), cancellationToken);
            }

            var manifest = new Manifest(data.Length, parts, maxPart, generation, sha256, DateTimeOffset.UtcNow);
            await CreateAsync(bindingKey, manifest.Encode(), cancellationToken);
            BindingStoreLog.StoredInParts(_logger, key, data.Length, parts, generation);
        }

        await RemovePartsAsync(bindingKey, generation, cancellationToken);
    }

    public async Task<byte[]> GetAsync(string key, CancellationToken cancellationToken)
    {
        ValidateKey(key);
        var bindingKey = _prefix + key;
        for (var attempt = 1; ; attempt++)
        {
            var bytes = await ReadAsync(bindingKey, cancellationToken) ?? throw new ObjectNotFoundException(key);
            if (!Manifest.TryParse(bytes, key, out var manifest))
            {
                return bytes;
            }

            var result = await ReadPartsAsync(key, bindingKey, manifest, 0, manifest.Size, cancellationToken);
            if (result is null)
            {
                if (attempt < MaxReadAttempts)
                {
                    BindingStoreLog.ManifestChanged(_logger, key);
                    continue;
                }

                throw new ObjectStoreException($"object {key}: a part is missing");
            }

            if (!string.Equals(Convert.ToHexStringLower(SHA256.HashData(result)), manifest.Sha256, StringComparison.Ordinal))
            {
                throw new ObjectStoreException($"object {key}: the reassembled parts do not match the manifest's SHA-256");
            }

            return result;
        }
    }

    /// <summary>
    /// Downloads the object (for a large object, the parts the range touches) and returns the slice: the binding
    /// cannot read ranges, so prefer <see cref="GetAsync"/> and slice in memory.
    /// </summary>
    public async Task<byte[]> GetRangeAsync(string key, long offset, int length, CancellationToken cancellationToken)
    {
        ValidateKey(key);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        var bindingKey = _prefix + key;
        for (var attempt = 1; ; attempt++)
        {
            var bytes = await ReadAsync(bindingKey, cancellationToken) ?? throw new ObjectNotFoundException(key);
            if (!Manifest.TryParse(bytes, key, out var manifest))
            {
                return Slice(bytes, offset, length);
            }

            var start = Math.Min(offset, manifest.Size);
            var end = Math.Min(manifest.Size, start + length);
            var result = await ReadPartsAsync(key, bindingKey, manifest, start, end, cancellationToken);
            if (result is not null)
            {
                return result;
            }

            if (attempt >= MaxReadAttempts)
            {
                throw new ObjectStoreException($"object {key}: a part is missing");
            }

            BindingStoreLog.ManifestChanged(_logger, key);
        }
    }

    private static byte[] Slice(byte[] bytes, long offset, int length)
    {
        if (offset >= bytes.Length)
        {
            return [];
        }

        var count = (int)Math.Min(length, bytes.Length - offset);
        return bytes.AsSpan((int)offset, count).ToArray();
    }

    /// <summary>Bytes [start, end) of a parted object; null when a part is missing (overwritten or deleted meanwhile).</summary>
    private async Task<byte[]?> ReadPartsAsync(string key, string bindingKey, Manifest manifest, long start, long end, CancellationToken cancellationToken)
    {
        var result = new byte[end - start];
        if (end <= start)
        {
            return result;
        }

        var first = (int)(start / manifest.PartSize);
        var last = (int)((end - 1) / manifest.PartSize);
        for (var i = first; i <= last; i++)
        {
            var part = await ReadAsync(PartKey(bindingKey, manifest.Generation, i), cancellationToken);
            if (part is null)
            {
                return null;
            }

            var partStart = (long)i * manifest.PartSize;
            var expected = Math.Min(manifest.PartSize, manifest.Size - partStart);
            if (part.Length != expected)
            {
                throw new ObjectStoreException($"object {key}: part {i} is {part.Length} bytes, not {expected}");
            }

            var from = Math.Max(start, partStart);
            var to = Math.Min(end, partStart + part.Length);
            part.AsSpan((int)(from - partStart), (int)(to - from)).CopyTo(result.AsSpan((int)(from - start)));
        }

        return result;
    }

    public async Task<ObjectInfo?> StatAsync(string key, CancellationToken cancellationToken)
    {
        ValidateKey(key);
        var bindingKey = _prefix + key;
        if (_type == "localstorage")
        {
            return await StatByGetAsync(key, bindingKey, null, cancellationToken);
        }

        var entries = await ListRawAsync(bindingKey, cancellationToken);
        var index = entries.BinarySearch(new Entry(bindingKey, null, null), EntryComparer.Instance);
        if (index < 0)
        {
            return null;
        }

        return await InfoAsync(key, entries, index, cancellationToken);
    }

    private async Task<ObjectInfo?> StatByGetAsync(string key, string bindingKey, DateTimeOffset? listed, CancellationToken cancellationToken)
    {
        var bytes = await ReadAsync(bindingKey, cancellationToken);
        if (bytes is null)
        {
            return null;
        }

        return Manifest.TryParse(bytes, key, out var manifest)
            ? new ObjectInfo(key, manifest.Size, manifest.Modified)
            : new ObjectInfo(key, bytes.Length, listed ?? DateTimeOffset.UtcNow);
    }

    /// <summary>The info of entries[index]: as listed, unless it may be a manifest (parts follow it) or the binding lists no sizes.</summary>
    private async Task<ObjectInfo?> InfoAsync(string key, List<Entry> entries, int index, CancellationToken cancellationToken)
    {
        var entry = entries[index];
        var partPrefix = entry.Key + ".part-";
        var next = entries.BinarySearch(new Entry(partPrefix, null, null), EntryComparer.Instance);
        next = next < 0 ? ~next : next;
        var hasParts = next < entries.Count && entries[next].Key.StartsWith(partPrefix, StringComparison.Ordinal);
        if (!hasParts && entry.Size is { } size)
        {
            return new ObjectInfo(key, size, entry.Modified ?? DateTimeOffset.UtcNow);
        }

        return await StatByGetAsync(key, entry.Key, entry.Modified, cancellationToken);
    }

    public async IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        var entries = await ListRawAsync(_prefix + prefix, cancellationToken);
        for (var i = 0; i < entries.Count; i++)
        {
            var key = entries[i].Key[_prefix.Length..];
            if (IsReserved(key))
            {
                continue;
            }

            var info = await InfoAsync(key, entries, i, cancellationToken);
            if (info is not null)
            {
                yield return info;
            }
        }
    }

    public async Task DeleteAsync(string key, CancellationToken cancellationToken)
    {
        ValidateKey(key);
        cancellationToken.ThrowIfCancellationRequested();
        var bindingKey = _prefix + key;
        await DeleteRawAsync(bindingKey, cancellationToken);
        await RemovePartsAsync(bindingKey, null, cancellationToken);
    }

    /// <summary>Deletes every part of <paramref name="bindingKey"/> except those of <paramref name="keep"/>.</summary>
    private async Task RemovePartsAsync(string bindingKey, string? keep, CancellationToken cancellationToken)
    {
        var partPrefix = bindingKey + ".part-";
        foreach (var entry in await ListRawAsync(partPrefix, cancellationToken))
        {
            var rest = entry.Key.AsSpan(bindingKey.Length);
            if (!IsPartKey(entry.Key) || rest.Contains('/') || (keep is not null && rest.StartsWith(".part-" + keep + "-", StringComparison.Ordinal)))
            {
                continue;
            }

            try
            {
                await DeleteRawAsync(entry.Key, cancellationToken);
            }
            catch (ObjectStoreException e) when (keep is not null)
            {
                BindingStoreLog.PartCleanupFailed(_logger, e, entry.Key);
            }
        }
    }

    // ---- binding operations --------------------------------------------------------------------------------------

    private Dictionary<string, string> KeyMetadata(string bindingKey) => _type switch
    {
        "localstorage" => new() { ["fileName"] = bindingKey },
        "azure.blobstorage" => new() { ["blobName"] = bindingKey },
        _ => new() { ["key"] = bindingKey },
    };

    private async Task CreateAsync(string bindingKey, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        var metadata = KeyMetadata(bindingKey);
        if (_type is "aws.s3" or "gcp.bucket")
        {
            metadata["decodeBase64"] = "true";
        }

        await InvokeAsync("create", bindingKey, JsonValue.Create(Convert.ToBase64String(data.Span)), metadata, cancellationToken);
    }

    /// <summary>The object's bytes; null when it does not exist.</summary>
    private async Task<byte[]?> ReadAsync(string bindingKey, CancellationToken cancellationToken)
    {
        var metadata = KeyMetadata(bindingKey);
        var encoded = _type is "aws.s3" or "gcp.bucket";
        if (encoded)
        {
            metadata["encodeBase64"] = "true";
        }

        var response = await InvokeAsync("get", bindingKey, null, metadata, cancellationToken, notFoundIsNull: true);
        if (response is null)
        {
            return null;
        }

        return encoded ? DecodeBase64(response.Data, bindingKey) : response.Data;
    }

    private static byte[] DecodeBase64(byte[] data, string bindingKey)
    {
        var text = Encoding.ASCII.GetString(data).Trim();
        if (text.Length >= 2 && text[0] == '"' && text[^1] == '"')
        {
            text = text[1..^1];
        }

        try
        {
            return Convert.FromBase64String(text);
        }
        catch (FormatException e)
        {
            throw new ObjectStoreException($"object {bindingKey}: the binding did not answer base64", e);
        }
    }

    private async Task DeleteRawAsync(string bindingKey, CancellationToken cancellationToken) =>
        await InvokeAsync("delete", bindingKey, null, KeyMetadata(bindingKey), cancellationToken, notFoundIsNull: true);

    private async Task<BindingResponse?> InvokeAsync(string operation, string bindingKey, JsonNode? data, Dictionary<string, string>? metadata, CancellationToken cancellationToken, bool notFoundIsNull = false)
    {
        try
        {
            return await _client.InvokeBindingAsync(_options.BindingName, operation, data, metadata, cancellationToken);
        }
        catch (ServiceException e) when (notFoundIsNull && IsNotFound(e.Message))
        {
            return null;
        }
        catch (ServiceException e)
        {
            BindingStoreLog.BindingFailed(_logger, e, _options.BindingName, operation, bindingKey);
            throw new ObjectStoreException($"binding {_options.BindingName} {operation} of {bindingKey} failed: {e.Message}", e);
        }
    }

    private bool IsNotFound(string message)
    {
        bool Has(string s) => message.Contains(s, StringComparison.OrdinalIgnoreCase);
        return _type switch
        {
            "localstorage" => Has("file not found") || Has("no such file"),
            "aws.s3" => Has("object not found") || Has("NoSuchKey") || Has("NotFound"),
            "azure.blobstorage" => Has("blob not found") || Has("BlobNotFound"),
            _ => Has("doesn't exist") || Has("does not exist") || Has("404"),
        };
    }

    // ---- listing -------------------------------------------------------------------------------------------------

    private sealed record Entry(string Key, long? Size, DateTimeOffset? Modified);

    private sealed class EntryComparer : IComparer<Entry>
    {
        public static readonly EntryComparer Instance = new();

        public int Compare(Entry? x, Entry? y) => string.CompareOrdinal(x?.Key, y?.Key);
    }

    /// <summary>Every binding key starting with <paramref name="bindingPrefix"/> (and inside the store's prefix), in ordinal order.</summary>
    private async Task<List<Entry>> ListRawAsync(string bindingPrefix, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var entries = _type switch
        {
            "localstorage" => await ListLocalStorageAsync(bindingPrefix, cancellationToken),
            "aws.s3" => await ListS3Async(bindingPrefix, cancellationToken),
            "azure.blobstorage" => await ListAzureAsync(bindingPrefix, cancellationToken),
            _ => await ListGcpAsync(bindingPrefix, cancellationToken),
        };
        var result = entries
            .Where(e => e.Key.StartsWith(bindingPrefix, StringComparison.Ordinal) && e.Key.StartsWith(_prefix, StringComparison.Ordinal))
            .DistinctBy(e => e.Key)
            .ToList();
        result.Sort(EntryComparer.Instance);
        return result;
    }

    private async Task<List<Entry>> ListLocalStorageAsync(string bindingPrefix, CancellationToken cancellationToken)
    {
        var root = await LocalRootAsync(cancellationToken);
        var slash = bindingPrefix.LastIndexOf('/');
        var directory = slash < 0 ? string.Empty : bindingPrefix[..slash];
        var metadata = directory.Length == 0 ? null : new Dictionary<string, string> { ["fileName"] = directory };
        BindingResponse response;
        try
        {
            response = await _client.InvokeBindingAsync(_options.BindingName, "list", null, metadata, cancellationToken);
        }
        catch (ServiceException e) when (directory.Length > 0 && (e.Message.Contains("not a directory", StringComparison.OrdinalIgnoreCase) || e.Message.Contains("no such file", StringComparison.OrdinalIgnoreCase)))
        {
            return [];
        }
        catch (ServiceException e)
        {
            BindingStoreLog.BindingFailed(_logger, e, _options.BindingName, "list", bindingPrefix);
            throw new ObjectStoreException($"binding {_options.BindingName} list of {bindingPrefix} failed: {e.Message}", e);
        }

        var entries = new List<Entry>();
        foreach (var path in ParseArray(response.Data, "list").Select(n => n?.GetValue<string>()))
        {
            var normalized = path?.Replace('\\', '/');
            if (normalized is null || !normalized.StartsWith(root + "/", StringComparison.Ordinal))
            {
                BindingStoreLog.ForeignPathSkipped(_logger, path ?? "null");
                continue;
            }

            entries.Add(new Entry(normalized[(root.Length + 1)..], null, null));
        }

        return entries;
    }

    /// <summary>The localstorage root as the sidecar reports it: configured, or found from a marker object once.</summary>
    private async Task<string> LocalRootAsync(CancellationToken cancellationToken)
    {
        if (_localRoot is { } known)
        {
            return known;
        }

        var markerKey = _prefix + MarkerDirectory + "/root";
        await CreateAsync(markerKey, Encoding.ASCII.GetBytes("dapr-profiler object store root marker\n"), cancellationToken);
        var listed = await InvokeAsync("list", markerKey, null, new Dictionary<string, string> { ["fileName"] = _prefix + MarkerDirectory }, cancellationToken);
        foreach (var path in ParseArray(listed!.Data, "list").Select(n => n?.GetValue<string>()?.Replace('\\', '/')))
        {
            if (path is not null && path.EndsWith("/" + markerKey, StringComparison.Ordinal))
            {
                return _localRoot = path[..^(markerKey.Length + 1)];
            }
        }

        throw new ObjectStoreException($"binding {_options.BindingName}: its listing does not show the root marker {markerKey}; set LocalStorageRootPath");
    }

    private async Task<List<Entry>> ListS3Async(string bindingPrefix, CancellationToken cancellationToken)
    {
        var entries = new List<Entry>();
        var marker = string.Empty;
        while (true)
        {
            var data = new JsonObject { ["maxResults"] = 1000, ["prefix"] = bindingPrefix, ["marker"] = marker };
            var response = await InvokeAsync("list", bindingPrefix, data, null, cancellationToken);
            var root = ParseObject(response!.Data);
            string? last = null;
            if (root["Contents"] is JsonArray contents)
            {
                foreach (var item in contents.OfType<JsonObject>())
                {
                    if (item["Key"]?.GetValue<string>() is { } key)
                    {
                        entries.Add(new Entry(key, ReadLong(item["Size"]), ReadTime(item["LastModified"])));
                        last = key;
                    }
                }
            }

            var truncated = root["IsTruncated"] is JsonValue t && t.TryGetValue<bool>(out var b) && b;
            var next = root["NextMarker"] is JsonValue n && n.TryGetValue<string>(out var s) && s.Length > 0 ? s : last;
            if (!truncated || next is null || string.CompareOrdinal(next, marker) <= 0)
            {
                return entries;
            }

            marker = next;
        }
    }

    private async Task<List<Entry>> ListAzureAsync(string bindingPrefix, CancellationToken cancellationToken)
    {
        var entries = new List<Entry>();
        var marker = string.Empty;
        for (var page = 0; page < 100_000; page++)
        {
            var data = new JsonObject { ["maxResults"] = 5000, ["prefix"] = bindingPrefix };
            if (marker.Length > 0)
            {
                data["marker"] = marker;
            }

            var response = await InvokeAsync("list", bindingPrefix, data, null, cancellationToken);
            foreach (var item in ParseArray(response!.Data, "list").OfType<JsonObject>())
            {
                if (item["Name"]?.GetValue<string>() is { } name)
                {
                    var properties = item["Properties"] as JsonObject;
                    entries.Add(new Entry(name, ReadLong(properties?["ContentLength"]), ReadTime(properties?["LastModified"])));
                }
            }

            var next = response.Metadata.FirstOrDefault(p => string.Equals(p.Key, "marker", StringComparison.OrdinalIgnoreCase)).Value;
            if (string.IsNullOrEmpty(next) || next == marker)
            {
                break;
            }

            marker = next;
        }

        return entries;
    }

    private async Task<List<Entry>> ListGcpAsync(string bindingPrefix, CancellationToken cancellationToken)
    {
        const int MaxResults = 1_000_000;
        var data = new JsonObject { ["maxResults"] = MaxResults, ["prefix"] = bindingPrefix };
        var response = await InvokeAsync("list", bindingPrefix, data, null, cancellationToken);
        var entries = new List<Entry>();
        foreach (var item in ParseArray(response!.Data, "list").OfType<JsonObject>())
        {
            if (item["Name"]?.GetValue<string>() is { } name)
            {
                entries.Add(new Entry(name, ReadLong(item["Size"]), ReadTime(item["Updated"])));
            }
        }

        if (entries.Count >= MaxResults)
        {
            BindingStoreLog.ListingCapped(_logger, _options.BindingName, entries.Count, bindingPrefix);
        }

        return entries;
    }

    private static JsonArray ParseArray(byte[] data, string what)
    {
        try
        {
            return JsonNode.Parse(data) switch
            {
                JsonArray array => array,
                null => [],
                _ => throw new ObjectStoreException($"the binding's {what} answer is not a JSON array"),
            };
        }
        catch (JsonException e)
        {
            throw new ObjectStoreException($"the binding's {what} answer is not JSON", e);
        }
    }

    private static JsonObject ParseObject(byte[] data)
    {
        try
        {
            return JsonNode.Parse(data) as JsonObject ?? throw new ObjectStoreException("the binding's list answer is not a JSON object");
        }
        catch (JsonException e)
        {
            throw new ObjectStoreException("the binding's list answer is not JSON", e);
        }
    }

    private static long? ReadLong(JsonNode? node) => node is JsonValue value
        ? value.TryGetValue<long>(out var l) ? l
        : value.TryGetValue<double>(out var d) ? (long)d
        : value.TryGetValue<string>(out var s) && long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var p) ? p
        : null
        : null;

    private static DateTimeOffset? ReadTime(JsonNode? node) =>
        node is JsonValue value && value.TryGetValue<string>(out var s)
        && DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time)
            ? time.ToUniversalTime()
            : null;

    // ---- manifest ------------------------------------------------------------------------------------------------

    /// <summary>
    /// The manifest of a parted object, UTF-8 lines: <c>dapr-profiler-parts/1</c>, <c>size N</c>, <c>parts N</c>,
    /// <c>part-size N</c>, <c>generation HEX16</c>, <c>sha256 HEX64</c>, <c>modified UNIX-MS</c>.
    /// </summary>
    private sealed record Manifest(long Size, int Parts, int PartSize, string Generation, string Sha256, DateTimeOffset Modified)
    {
        public byte[] Encode() => Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture,
            $"{ManifestMagic}\nsize {Size}\nparts {Parts}\npart-size {PartSize}\ngeneration {Generation}\nsha256 {Sha256}\nmodified {Modified.ToUnixTimeMilliseconds()}\n"));

        /// <summary>False for an object that is not a manifest.</summary>
        /// <exception cref="ObjectStoreException">It begins like a manifest but is not a valid one.</exception>
        public static bool TryParse(byte[] bytes, string key, out Manifest manifest)
        {
            manifest = null!;
            if (!bytes.AsSpan().StartsWith(MagicBytes))
            {
                return false;
            }

            var fields = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var line in Encoding.ASCII.GetString(bytes).Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1))
            {
                var space = line.IndexOf(' ', StringComparison.Ordinal);
                if (space > 0)
                {
                    fields[line[..space]] = line[(space + 1)..];
                }
            }

            if (!(fields.TryGetValue("size", out var size) && long.TryParse(size, NumberStyles.None, CultureInfo.InvariantCulture, out var s)
                && fields.TryGetValue("parts", out var parts) && int.TryParse(parts, NumberStyles.None, CultureInfo.InvariantCulture, out var p)
                && fields.TryGetValue("part-size", out var partSize) && int.TryParse(partSize, NumberStyles.None, CultureInfo.InvariantCulture, out var ps) && ps > 0
                && fields.TryGetValue("generation", out var generation) && generation.Length == 16
                && fields.TryGetValue("sha256", out var sha) && sha.Length == 64
                && fields.TryGetValue("modified", out var modified) && long.TryParse(modified, NumberStyles.None, CultureInfo.InvariantCulture, out var ms)
                && p == Math.Max(1, (s + ps - 1) / ps)))
            {
                throw new ObjectStoreException($"object {key}: its part manifest is malformed");
            }

            manifest = new Manifest(s, p, ps, generation, sha, DateTimeOffset.FromUnixTimeMilliseconds(ms));
            return true;
        }
    }
}
