using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
using Amazon;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Dapr.Profiler.ObjectStorage;

/// <summary>
/// An <see cref="IObjectStore"/> on an S3 bucket, through AWSSDK.S3: AWS itself or any S3-compatible server.
/// <para>
/// The object <c>k</c> is the S3 object <c>{Prefix}/k</c>. A put is one PutObject, atomic by S3's semantics: a
/// reader gets the whole old object or the whole new one, and a successful put is durable. Range reads are ranged
/// GetObjects. Listing is ListObjectsV2, page by page, in S3's key order, which is the order of UTF-8 bytes (that
/// is, of Unicode code points); it equals the ordinal order of <see cref="string"/> for every key without characters
/// above U+FFFF. A server that lists out of order is reported with <see cref="ObjectStoreException"/> rather than
/// trusted, since its pagination could skip objects.
/// </para>
/// <para>
/// Keys follow <see cref="ObjectKeys"/> and are checked before any request; with the prefix they must also fit
/// S3's 1,024 UTF-8 bytes. Unlike the filesystem, S3 holds both <c>a</c> and <c>a/b</c>. Listing skips S3 objects
/// that are not valid keys (such as the <c>folder/</c> markers consoles create). Errors: <c>NoSuchKey</c> (404)
/// is <see cref="ObjectNotFoundException"/>; every other S3 error, network failure or timeout is
/// <see cref="ObjectStoreException"/> naming the key; a cancelled token is <see cref="OperationCanceledException"/>.
/// </para>
/// </summary>
public sealed partial class S3ObjectStore : IObjectStore, IDisposable
{
    /// <summary>S3's limit on the length of a key, in UTF-8 bytes.</summary>
    public const int MaxS3KeyBytes = 1024;

    private readonly AmazonS3Client _client;
    private readonly string _bucket;
    private readonly string _prefix;
    private readonly TimeSpan _requestTimeout;
    private readonly ILogger _logger;
    private int _rangeIgnoredLogged;

    /// <summary>Creates the store; no request is made until the first operation.</summary>
    /// <exception cref="ArgumentException">The options are invalid (see <see cref="S3ObjectStoreOptions.Validate"/>).</exception>
    public S3ObjectStore(S3ObjectStoreOptions options, ILogger<S3ObjectStore>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problem = options.Validate();
        if (problem is not null)
        {
            throw new ArgumentException(problem, nameof(options));
        }

        _logger = logger ?? (ILogger)NullLogger.Instance;
        _bucket = options.Bucket;
        _prefix = options.NormalizedPrefix;
        _requestTimeout = options.RequestTimeout;

        var config = new AmazonS3Config
        {
            ForcePathStyle = options.UsePathStyle,
            Timeout = options.RequestTimeout,
            MaxErrorRetry = options.MaxRetries,
        };
        var custom = !string.IsNullOrWhiteSpace(options.Endpoint);
        if (custom)
        {
            config.ServiceURL = options.Endpoint;
            config.AuthenticationRegion = options.Region;

            // Since AWSSDK 4 the client adds CRC checksums to every request and asks for them in responses; not every
            // S3-compatible server implements them. The payload stays SigV4-signed (its SHA-256 is in the signature).
            // AWS itself gets the SDK's defaults.
            config.RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED;
            config.ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED;
        }
        else
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(options.Region);
        }

        var explicitCredentials = !string.IsNullOrEmpty(options.AccessKey);
        _client = explicitCredentials
            ? new AmazonS3Client(new BasicAWSCredentials(options.AccessKey, options.SecretKey), config)
            : new AmazonS3Client(config);
        Log.S3Opened(
            _logger,
            _bucket,
            _prefix,
            custom ? options.Endpoint! : "AWS",
            options.Region,
            options.UsePathStyle,
            explicitCredentials ? "configuration" : "the AWS default chain");
    }

    /// <summary>The bucket.</summary>
    public string Bucket => _bucket;

    /// <summary>The prefix of every S3 key of this store, with its trailing <c>/</c>, or empty.</summary>
    public string KeyPrefix => _prefix;

    public bool SupportsRangeReads => true;

    /// <summary>Objects per ListObjectsV2 page (S3's maximum is 1,000); tests lower it to exercise pagination.</summary>
    internal int ListPageSize { get; set; } = 1000;

    public async Task PutAsync(string key, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        var s3Key = ToS3Key(key);
        cancellationToken.ThrowIfCancellationRequested();
        using var body = MemoryMarshal.TryGetArray(data, out var segment)
            ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(data.ToArray(), writable: false);
        var request = new PutObjectRequest
        {
            BucketName = _bucket,
            Key = s3Key,
            InputStream = body,
            AutoCloseStream = false,
            ContentType = "application/octet-stream",

            // The bytes are in memory and their length is known: one plain body, no aws-chunked framing, which not
            // every S3-compatible server decodes (s3rver would store the framing as the object's content).
            UseChunkEncoding = false,
        };
        try
        {
            await _client.PutObjectAsync(request, cancellationToken);
        }
        catch (Exception ex) when (IsFailure(ex, cancellationToken))
        {
            throw Failure("PutObject", key, $"cannot store object {key}", ex);
        }
    }

    public Task<byte[]> GetAsync(string key, CancellationToken cancellationToken) =>
        ReadAsync(key, null, cancellationToken);

    public async Task<byte[]> GetRangeAsync(string key, long offset, int length, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (length == 0)
        {
            // No byte range is empty; the answer only depends on whether the object exists.
            return await StatAsync(key, cancellationToken) is null ? throw new ObjectNotFoundException(key) : [];
        }

        return await ReadAsync(key, (offset, length), cancellationToken);
    }

    public async Task<ObjectInfo?> StatAsync(string key, CancellationToken cancellationToken)
    {
        var s3Key = ToS3Key(key);
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            var response = await _client.GetObjectMetadataAsync(
                new GetObjectMetadataRequest { BucketName = _bucket, Key = s3Key }, cancellationToken);
            return new ObjectInfo(key, response.ContentLength, ToTimestamp(response.LastModified));
        }
        catch (AmazonS3Exception ex) when (IsNoSuchKey(ex))
        {
            // A HEAD answer has no body, so a missing bucket looks the same as a missing object here.
            return null;
        }
        catch (Exception ex) when (IsFailure(ex, cancellationToken))
        {
            throw Failure("HeadObject", key, $"cannot stat object {key}", ex);
        }
    }

    public async Task DeleteAsync(string key, CancellationToken cancellationToken)
    {
        var s3Key = ToS3Key(key);
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            await _client.DeleteObjectAsync(new DeleteObjectRequest { BucketName = _bucket, Key = s3Key }, cancellationToken);
        }
        catch (AmazonS3Exception ex) when (IsNoSuchKey(ex))
        {
            // S3 answers 204 for a missing object; a server that answers 404 means the same.
        }
        catch (Exception ex) when (IsFailure(ex, cancellationToken))
        {
            throw Failure("DeleteObject", key, $"cannot delete object {key}", ex);
        }
    }

    public void Dispose() => _client.Dispose();

    /// <summary>Validates the key and maps it to its S3 key.</summary>
    /// <exception cref="InvalidObjectKeyException">The key breaks the rules or is too long for S3.</exception>
    internal string ToS3Key(string key)
    {
        ObjectKeys.Validate(key);
        var s3Key = _prefix + key;
        if (Encoding.UTF8.GetByteCount(s3Key) > MaxS3KeyBytes)
        {
            throw new InvalidObjectKeyException(key, $"with the prefix \"{_prefix}\" the key is longer than S3's {MaxS3KeyBytes} UTF-8 bytes");
        }

        return s3Key;
    }

    private async Task<byte[]> ReadAsync(string key, (long Offset, int Length)? range, CancellationToken cancellationToken)
    {
        var s3Key = ToS3Key(key);
        cancellationToken.ThrowIfCancellationRequested();
        var request = new GetObjectRequest { BucketName = _bucket, Key = s3Key };
        if (range is var (offset, length))
        {
            var last = offset > long.MaxValue - length ? long.MaxValue : offset + length - 1;
            request.ByteRange = new ByteRange(offset, last);
        }

        try
        {
            using var response = await _client.GetObjectAsync(request, cancellationToken);

            // The SDK's timeout ends with the response headers; the body gets a deadline of its own.
            using var bodyDeadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            bodyDeadline.CancelAfter(_requestTimeout);
            if (range is var (first, _) && response.HttpStatusCode == HttpStatusCode.PartialContent)
            {
                return await ReadBodyAsync(key, response, RangeLength(key, first, response), bodyDeadline.Token);
            }

            var body = await ReadBodyAsync(key, response, response.ContentLength, bodyDeadline.Token);
            if (range is var (start, count) && response.HttpStatusCode == HttpStatusCode.OK)
            {
                // The server ignored the Range header and sent the whole object.
                if (Interlocked.Exchange(ref _rangeIgnoredLogged, 1) == 0)
                {
                    Log.S3RangeIgnored(_logger, key, _bucket);
                }

                return start >= body.Length ? [] : body.AsSpan((int)start, (int)Math.Min(count, body.Length - start)).ToArray();
            }

            return body;
        }
        catch (AmazonS3Exception ex) when (IsNoSuchKey(ex))
        {
            throw new ObjectNotFoundException(key);
        }
        catch (AmazonS3Exception ex) when (range is not null
                                          && (ex.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable || ex.ErrorCode == "InvalidRange"))
        {
            return []; // the range starts at or after the end of the object
        }
        catch (Exception ex) when (IsFailure(ex, cancellationToken))
        {
            throw Failure("GetObject", key, $"cannot read object {key}", ex);
        }
    }

    /// <summary>
    /// How many bytes a 206 answer carries, from its <c>Content-Range: bytes first-last/size</c>: the range must start
    /// where asked, and it never reaches past the object's size (s3rver answers a range of an empty object with
    /// <c>bytes 0-0/0</c> and a body shorter than its Content-Length).
    /// </summary>
    private static long RangeLength(string key, long offset, GetObjectResponse response)
    {
        var contentRange = response.ContentRange;
        if (string.IsNullOrEmpty(contentRange))
        {
            return response.ContentLength;
        }

        var match = ContentRangePattern().Match(contentRange);
        if (!match.Success
            || !long.TryParse(match.Groups["first"].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var first)
            || !long.TryParse(match.Groups["last"].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var last)
            || last < first)
        {
            throw new ObjectStoreException($"cannot read object {key}: the server answered with the range \"{contentRange}\"");
        }

        if (first != offset)
        {
            throw new ObjectStoreException($"cannot read object {key}: asked for bytes from {offset}, the server sent \"{contentRange}\"");
        }

        var end = last + 1;
        if (long.TryParse(match.Groups["size"].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var size))
        {
            end = Math.Min(end, size);
        }

        return Math.Min(Math.Max(0, end - first), response.ContentLength);
    }

    private static async Task<byte[]> ReadBodyAsync(string key, GetObjectResponse response, long length, CancellationToken cancellationToken)
    {
        if (length > Array.MaxLength)
        {
            throw new ObjectStoreException($"object {key} is {length} bytes, too large to read at once; read ranges");
        }

        if (length < 0)
        {
            using var copy = new MemoryStream();
            await response.ResponseStream.CopyToAsync(copy, cancellationToken);
            return copy.ToArray();
        }

        var buffer = new byte[length];
        await response.ResponseStream.ReadExactlyAsync(buffer, cancellationToken); // EndOfStreamException when cut short
        return buffer;
    }

    /// <summary>The object (or, for HEAD, whatever the 404 was about) does not exist; a missing bucket is an error.</summary>
    private static bool IsNoSuchKey(AmazonS3Exception ex) =>
        ex.ErrorCode == "NoSuchKey" || (ex.StatusCode == HttpStatusCode.NotFound && ex.ErrorCode != "NoSuchBucket");

    /// <summary>Failures of the store (not bugs, not the caller's cancellation) that become <see cref="ObjectStoreException"/>.</summary>
    private static bool IsFailure(Exception ex, CancellationToken cancellationToken) => ex switch
    {
        AmazonServiceException or AmazonClientException or HttpRequestException or IOException or SocketException or TimeoutException => true,
        OperationCanceledException => !cancellationToken.IsCancellationRequested, // a timeout, not the caller
        _ => false,
    };

    private ObjectStoreException Failure(string operation, string key, string message, Exception ex)
    {
        string detail;
        if (ex is AmazonServiceException service && service.StatusCode != 0)
        {
            Log.S3RequestFailed(_logger, ex, operation, key, _bucket, (int)service.StatusCode, service.ErrorCode ?? "none", service.RequestId ?? "none");
            detail = $"S3 answered HTTP {(int)service.StatusCode} {service.ErrorCode}: {service.Message}";
        }
        else
        {
            Log.S3TransportFailed(_logger, ex, operation, key, _bucket);
            detail = ex is OperationCanceledException or TimeoutException || ex.InnerException is TimeoutException
                ? $"no answer from S3 within {_requestTimeout.TotalSeconds:0.###} s"
                : Describe(ex);
        }

        return new ObjectStoreException($"{message} in bucket {_bucket}: {detail}", ex);
    }

    /// <summary>The exception's message and those of its causes, which name the network error.</summary>
    private static string Describe(Exception ex)
    {
        var parts = new List<string>();
        for (var e = ex; e is not null && parts.Count < 4; e = e.InnerException)
        {
            if (!parts.Contains(e.Message, StringComparer.Ordinal))
            {
                parts.Add(e.Message);
            }
        }

        return string.Join(" <- ", parts);
    }

    [GeneratedRegex(@"^bytes (?<first>\d+)-(?<last>\d+)/(?<size>\d+|\*)$")]
    private static partial Regex ContentRangePattern();

    private static DateTimeOffset ToTimestamp(DateTime? time) => time switch
    {
        null => DateTimeOffset.UnixEpoch,
        { Kind: DateTimeKind.Unspecified } t => new DateTimeOffset(t, TimeSpan.Zero),
        { } t => new DateTimeOffset(t.ToUniversalTime(), TimeSpan.Zero),
    };
}
