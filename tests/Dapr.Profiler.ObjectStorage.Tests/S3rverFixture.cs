using Dapr.Profiler.TestKit;

namespace Dapr.Profiler.ObjectStorage.Tests;

/// <summary>The tests that share one s3rver run one after another in this collection.</summary>
[CollectionDefinition(Name)]
public sealed class S3rverGroup : ICollectionFixture<S3rverFixture>
{
    public const string Name = "s3rver";
}

/// <summary>
/// A real S3-protocol server for the tests: <see cref="S3rverServer"/> (s3rver from npm) with one bucket, started
/// once for the collection and stopped at the end. Node.js and npm must be on PATH; CI installs them.
/// </summary>
public sealed class S3rverFixture : IAsyncLifetime
{
    /// <summary>The pinned s3rver release (its last; the project is unmaintained, so it will not move).</summary>
    public const string Version = S3rverServer.Version;

    /// <summary>The bucket created at start.</summary>
    public const string BucketName = "profiler-test";

    /// <summary>s3rver's one built-in key pair; it checks SigV4 signatures made with it.</summary>
    public const string AccessKey = S3rverServer.DefaultAccessKey;
    public const string SecretKey = S3rverServer.DefaultSecretKey;

    private S3rverServer? _server;

    /// <summary>The server's URL, such as <c>http://127.0.0.1:40123</c>.</summary>
    public string Endpoint => _server?.Endpoint ?? string.Empty;

    /// <summary>Options for a store on the test bucket; each prefix is a store of its own.</summary>
    public S3ObjectStoreOptions Options(string? prefix = null) => new()
    {
        Bucket = BucketName,
        Endpoint = Endpoint,
        AccessKey = AccessKey,
        SecretKey = SecretKey,
        Prefix = prefix ?? NewPrefix(),
        RequestTimeout = TimeSpan.FromSeconds(10),
        MaxRetries = 1,
    };

    /// <summary>A store with a fresh prefix of its own, so tests sharing the bucket never see each other's objects.</summary>
    public S3ObjectStore CreateStore(string? prefix = null) => new(Options(prefix));

    public static string NewPrefix() => "t-" + Guid.NewGuid().ToString("N")[..12];

    public async ValueTask InitializeAsync() => _server = await S3rverServer.StartAsync(BucketName);

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
