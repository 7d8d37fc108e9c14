using System.Text;

namespace Dapr.Profiler.ObjectStorage;

/// <summary>
/// Settings of <see cref="S3ObjectStore"/>, bound from <c>ObjectStorage:S3</c>. They work for AWS S3 and for any
/// S3-compatible server (MinIO, Ceph RGW, LocalStack, s3rver): set <see cref="Endpoint"/> for the latter.
/// </summary>
public sealed class S3ObjectStoreOptions
{
    /// <summary>The configuration path of these settings, used in validation messages.</summary>
    public const string SectionPath = ObjectStorageOptions.SectionName + ":S3";

    /// <summary>The bucket; it must exist (the store never creates buckets). Required.</summary>
    public string Bucket { get; set; } = string.Empty;

    /// <summary>The region requests are signed for (and, without <see cref="Endpoint"/>, sent to).</summary>
    public string Region { get; set; } = "us-east-1";

    /// <summary>
    /// The service URL of an S3-compatible server, such as <c>http://minio:9000</c>; empty for AWS S3 itself
    /// (the endpoint then follows from <see cref="Region"/>). The scheme chooses HTTP or HTTPS.
    /// </summary>
    public string? Endpoint { get; set; }

    /// <summary>
    /// Path-style addressing (<c>{endpoint}/{bucket}/{key}</c>) instead of virtual-hosted style
    /// (<c>{bucket}.{endpoint}/{key}</c>). Unset: true when <see cref="Endpoint"/> is set (what self-hosted servers
    /// expect), false for AWS.
    /// </summary>
    public bool? ForcePathStyle { get; set; }

    /// <summary>
    /// The access key id. Set both it and <see cref="SecretKey"/>, or neither: then the AWS SDK's default
    /// credential chain applies (environment, profile, web identity, container or instance role).
    /// </summary>
    public string? AccessKey { get; set; }

    /// <summary>The secret access key that goes with <see cref="AccessKey"/>.</summary>
    public string? SecretKey { get; set; }

    /// <summary>
    /// A folder inside the bucket that holds every object: with <c>profiles</c> the object <c>a/b</c> is stored as
    /// <c>profiles/a/b</c>. Empty: the bucket's root. Lets several deployments share one bucket.
    /// </summary>
    public string? Prefix { get; set; }

    /// <summary>
    /// How long one HTTP attempt may take, reading the response body included. A dead or stalled server fails an
    /// operation after about <c>RequestTimeout × (MaxRetries + 1)</c> instead of hanging; set it above the time a
    /// whole object takes to transfer on the slowest link.
    /// </summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How often the SDK retries a failed request (throttling, 5xx, network errors) with back-off.</summary>
    public int MaxRetries { get; set; } = 3;

    /// <summary>The effective addressing style (see <see cref="ForcePathStyle"/>).</summary>
    public bool UsePathStyle => ForcePathStyle ?? !string.IsNullOrWhiteSpace(Endpoint);

    /// <summary>The key prefix with its trailing <c>/</c>, or empty.</summary>
    internal string NormalizedPrefix =>
        string.IsNullOrEmpty(Prefix) ? string.Empty : Prefix.TrimEnd('/') + "/";

    /// <summary>The first problem with the settings, named by configuration path, or null when they are usable.</summary>
    public string? Validate()
    {
        if (string.IsNullOrWhiteSpace(Bucket))
        {
            return $"{SectionPath}:Bucket is required for the S3 provider";
        }

        if (!IsBucketName(Bucket))
        {
            return $"{SectionPath}:Bucket \"{Bucket}\" is not a bucket name (3 to 255 letters, digits, '.', '-' or '_')";
        }

        if (string.IsNullOrWhiteSpace(Region) || !Region.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'))
        {
            return $"{SectionPath}:Region \"{Region}\" is not a region name such as us-east-1";
        }

        if (!string.IsNullOrWhiteSpace(Endpoint)
            && (!Uri.TryCreate(Endpoint, UriKind.Absolute, out var uri)
                || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
                || !string.IsNullOrEmpty(uri.Query)))
        {
            return $"{SectionPath}:Endpoint \"{Endpoint}\" is not an http:// or https:// URL";
        }

        if (string.IsNullOrEmpty(AccessKey) != string.IsNullOrEmpty(SecretKey))
        {
            return $"{SectionPath}:AccessKey and {SectionPath}:SecretKey go together: set both, or neither to use the AWS default credential chain";
        }

        if (!string.IsNullOrEmpty(Prefix))
        {
            try
            {
                ObjectKeys.Validate(Prefix.TrimEnd('/'));
            }
            catch (InvalidObjectKeyException ex)
            {
                return $"{SectionPath}:Prefix is not a valid key prefix: {ex.Message}";
            }

            if (Encoding.UTF8.GetByteCount(NormalizedPrefix) > 512)
            {
                return $"{SectionPath}:Prefix is longer than 512 bytes, leaving too little of S3's 1,024-byte key limit";
            }
        }

        if (RequestTimeout <= TimeSpan.Zero || RequestTimeout > TimeSpan.FromHours(1))
        {
            return $"{SectionPath}:RequestTimeout {RequestTimeout} must be positive and at most one hour";
        }

        if (MaxRetries is < 0 or > 20)
        {
            return $"{SectionPath}:MaxRetries {MaxRetries} must be between 0 and 20";
        }

        return null;
    }

    /// <summary>
    /// Bucket names as S3-compatible servers accept them: today's AWS rules (lowercase letters, digits, dots,
    /// hyphens, 3–63 characters) and the legacy ones (uppercase, underscores, up to 255) that some servers keep.
    /// </summary>
    private static bool IsBucketName(string name) =>
        name.Length is >= 3 and <= 255
        && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_')
        && char.IsAsciiLetterOrDigit(name[0])
        && char.IsAsciiLetterOrDigit(name[^1]);
}
