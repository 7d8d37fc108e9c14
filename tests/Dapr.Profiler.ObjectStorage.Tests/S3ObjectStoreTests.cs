using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Dapr.Profiler.ObjectStorage.Tests;

/// <summary>What is particular to <see cref="S3ObjectStore"/>, against a real S3-protocol server (s3rver).</summary>
[Collection(S3rverGroup.Name)]
public sealed class S3ObjectStoreTests(S3rverFixture server)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<List<ObjectInfo>> ListAsync(S3ObjectStore store, string prefix = "")
    {
        var list = new List<ObjectInfo>();
        await foreach (var info in store.ListAsync(prefix, Ct))
        {
            list.Add(info);
        }

        return list;
    }

    /// <summary>A client of the raw bucket, to see what the store really wrote.</summary>
    private AmazonS3Client RawClient() => new(
        new BasicAWSCredentials(S3rverFixture.AccessKey, S3rverFixture.SecretKey),
        new AmazonS3Config
        {
            ServiceURL = server.Endpoint,
            AuthenticationRegion = "us-east-1",
            ForcePathStyle = true,
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        });

    [Fact]
    public async Task List_Paginates_InKeyOrder_WithoutLosingOrRepeatingKeys()
    {
        using var store = server.CreateStore();
        store.ListPageSize = 4;
        var keys = Enumerable.Range(0, 25).Select(i => $"blocks/{i % 3}/{i:D4}").ToList();
        foreach (var key in keys)
        {
            await store.PutAsync(key, new byte[] { (byte)key.Length }, Ct);
        }

        var listed = await ListAsync(store);

        Assert.Equal(keys.Order(StringComparer.Ordinal), listed.Select(i => i.Key));
        Assert.All(listed, i => Assert.Equal(1, i.Size));
        Assert.Equal(7, store.ListRequests); // ceil(25 / 4)
        Assert.Equal(keys.Where(k => k.StartsWith("blocks/1/", StringComparison.Ordinal)).Order(StringComparer.Ordinal),
            (await ListAsync(store, "blocks/1/")).Select(i => i.Key));
    }

    [Fact]
    public async Task List_StopsFetchingPages_WhenTheCallerStops()
    {
        using var store = server.CreateStore();
        store.ListPageSize = 2;
        for (var i = 0; i < 9; i++)
        {
            await store.PutAsync($"k{i}", new byte[] { 1 }, Ct);
        }

        await foreach (var info in store.ListAsync("", Ct))
        {
            Assert.Equal("k0", info.Key);
            break;
        }

        Assert.Equal(1, store.ListRequests);
    }

    [Fact]
    public async Task Prefix_IsAFolderInTheBucket_AndStoresWithDifferentPrefixesAreIsolated()
    {
        var prefix = S3rverFixture.NewPrefix();
        using var first = server.CreateStore(prefix + "/one/");
        using var second = server.CreateStore(prefix + "/two");
        using var parent = server.CreateStore(prefix);
        await first.PutAsync("k", new byte[] { 1 }, Ct);
        await second.PutAsync("k", new byte[] { 2 }, Ct);

        Assert.Equal(prefix + "/one/", first.KeyPrefix);
        Assert.Equal(new byte[] { 1 }, await first.GetAsync("k", Ct));
        Assert.Equal(new byte[] { 2 }, await second.GetAsync("k", Ct));
        Assert.Equal(["k"], (await ListAsync(first)).Select(i => i.Key));
        Assert.Equal(["one/k", "two/k"], (await ListAsync(parent)).Select(i => i.Key));

        using var raw = RawClient();
        var response = await raw.GetObjectMetadataAsync(S3rverFixture.BucketName, prefix + "/one/k", Ct);
        Assert.Equal(1, response.ContentLength);
        await first.DeleteAsync("k", Ct);
        Assert.Equal(["two/k"], (await ListAsync(parent)).Select(i => i.Key));
    }

    [Fact]
    public async Task AnObject_AndObjectsBelowItsKey_Coexist_AsInS3()
    {
        using var store = server.CreateStore();

        await store.PutAsync("p/q", new byte[] { 2 }, Ct);
        await store.PutAsync("p", new byte[] { 1 }, Ct);

        Assert.Equal(new byte[] { 1 }, await store.GetAsync("p", Ct));
        Assert.Equal(new byte[] { 2 }, await store.GetAsync("p/q", Ct));
        Assert.Equal(1, (await store.StatAsync("p", Ct))!.Size);
        Assert.Equal(["p/q"], (await ListAsync(store, "p/")).Select(i => i.Key)); // s3rver lists "p/q" before "p"
        await store.DeleteAsync("p", Ct);
        Assert.Equal(new byte[] { 2 }, await store.GetAsync("p/q", Ct));
    }

    [Fact]
    public async Task Listing_SkipsS3ObjectsThatAreNoValidKeys()
    {
        var prefix = S3rverFixture.NewPrefix();
        using var store = server.CreateStore(prefix);
        await store.PutAsync("real", new byte[] { 1 }, Ct);
        using var raw = RawClient();
        foreach (var foreign in new[] { "folder/", "back\\slash" })
        {
            await raw.PutObjectAsync(
                new PutObjectRequest { BucketName = S3rverFixture.BucketName, Key = $"{prefix}/{foreign}", ContentBody = "x", UseChunkEncoding = false },
                Ct);
        }

        Assert.Equal(["real"], (await ListAsync(store)).Select(i => i.Key));
    }

    [Fact]
    public async Task KeyTooLongForS3_WithThePrefix_IsRejected()
    {
        // Segments stay short: s3rver keeps each segment as a file name, and crashes on one longer than 255 bytes.
        using var store = server.CreateStore(new string('p', 100));
        var segment = new string('k', 99);
        var atLimit = string.Join('/', Enumerable.Repeat(segment, 9)) + "/" + new string('k', 1024 - 101 - 900);
        var overLimit = atLimit + "k";

        var ex = await Assert.ThrowsAsync<InvalidObjectKeyException>(() => store.PutAsync(overLimit, new byte[] { 1 }, Ct));

        Assert.Contains("longer than S3's 1024 UTF-8 bytes", ex.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<InvalidObjectKeyException>(() => store.StatAsync(overLimit, Ct));
        await store.PutAsync(atLimit, new byte[] { 1 }, Ct);
        Assert.Equal(new byte[] { 1 }, await store.GetAsync(atLimit, Ct));
    }

    /// <summary>
    /// s3rver 3.7 walks its directory of <c>{key}._S3rver_object</c> files in name order, so <c>a-b</c> (file
    /// <c>a-b._S3rver_object</c>) comes before <c>a</c> (file <c>a._S3rver_object</c>), unlike S3's key order; its
    /// pagination (which continues after the last key listed) then skips keys. The store reports the disorder.
    /// </summary>
    [Fact]
    public async Task S3rverListingOutOfKeyOrder_IsReported_NotPassedOn()
    {
        using var store = server.CreateStore();
        await store.PutAsync("a", new byte[] { 1 }, Ct);
        await store.PutAsync("a-b", new byte[] { 1 }, Ct);

        var ex = await Assert.ThrowsAsync<ObjectStoreException>(() => ListAsync(store));

        Assert.Contains("out of S3's key order", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MissingBucket_IsAStoreFailure_NotAMissingObject()
    {
        var options = server.Options();
        options.Bucket = "no-such-bucket";
        using var store = new S3ObjectStore(options);

        var get = await Assert.ThrowsAsync<ObjectStoreException>(() => store.GetAsync("k", Ct));
        var put = await Assert.ThrowsAsync<ObjectStoreException>(() => store.PutAsync("k", new byte[] { 1 }, Ct));
        var list = await Assert.ThrowsAsync<ObjectStoreException>(() => ListAsync(store));

        Assert.IsNotType<ObjectNotFoundException>(get);
        Assert.Contains("NoSuchBucket", get.Message, StringComparison.Ordinal);
        Assert.StartsWith("cannot read object k in bucket no-such-bucket: S3 answered HTTP 404", get.Message, StringComparison.Ordinal);
        Assert.Contains("NoSuchBucket", put.Message, StringComparison.Ordinal);
        Assert.Contains("NoSuchBucket", list.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownAccessKey_IsAStoreFailure()
    {
        // s3rver checks the access key id but not SigV4 signatures: a wrong secret would pass there, not on S3.
        var options = server.Options();
        options.AccessKey = "UNKNOWN";

        using var store = new S3ObjectStore(options);

        var ex = await Assert.ThrowsAsync<ObjectStoreException>(() => store.PutAsync("k", new byte[] { 1 }, Ct));
        Assert.StartsWith("cannot store object k in bucket profiler-test: S3 answered HTTP 403 InvalidAccessKeyId", ex.Message, StringComparison.Ordinal);
        Assert.IsType<AmazonS3Exception>(ex.InnerException);
    }

    [Fact]
    public async Task ServerDown_FailsEveryOperation_WithTheKey_Promptly()
    {
        var options = server.Options();
        options.Endpoint = $"http://127.0.0.1:{UnusedPort()}";
        using var store = new S3ObjectStore(options);
        var clock = Stopwatch.StartNew();

        var failures = new List<ObjectStoreException>
        {
            await Assert.ThrowsAsync<ObjectStoreException>(() => store.PutAsync("down/k", new byte[] { 1 }, Ct)),
            await Assert.ThrowsAsync<ObjectStoreException>(() => store.GetAsync("down/k", Ct)),
            await Assert.ThrowsAsync<ObjectStoreException>(() => store.GetRangeAsync("down/k", 0, 1, Ct)),
            await Assert.ThrowsAsync<ObjectStoreException>(() => store.StatAsync("down/k", Ct)),
            await Assert.ThrowsAsync<ObjectStoreException>(() => store.DeleteAsync("down/k", Ct)),
            await Assert.ThrowsAsync<ObjectStoreException>(() => ListAsync(store, "down/")),
        };

        Assert.All(failures, f => Assert.Contains("down/", f.Message, StringComparison.Ordinal));
        Assert.All(failures, f => Assert.NotNull(f.InnerException));
        Assert.InRange(clock.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task UnresponsiveServer_TimesOut_InsteadOfHanging()
    {
        // Accepts connections and never answers.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var accepted = new List<Socket>();
        var accepting = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    accepted.Add(await silent.AcceptSocketAsync(Ct));
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
            }
        }, Ct);
        var options = server.Options();
        options.Endpoint = $"http://127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}";
        options.RequestTimeout = TimeSpan.FromSeconds(1);
        options.MaxRetries = 0;
        using var store = new S3ObjectStore(options);
        var clock = Stopwatch.StartNew();

        var get = await Assert.ThrowsAsync<ObjectStoreException>(() => store.GetAsync("slow/k", Ct));
        var stat = await Assert.ThrowsAsync<ObjectStoreException>(() => store.StatAsync("slow/k", Ct));

        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(15));
        Assert.Contains("no answer from S3 within 1 s", get.Message, StringComparison.Ordinal);
        Assert.Contains("slow/k", stat.Message, StringComparison.Ordinal);
        silent.Stop();
        await accepting;
        accepted.ForEach(s => s.Dispose());
    }

    [Fact]
    public async Task InvalidKeys_AreRejected_BeforeAnyRequest()
    {
        // Against a dead endpoint any request would fail as a network error, not as an invalid key.
        var options = server.Options();
        options.Endpoint = $"http://127.0.0.1:{UnusedPort()}";
        using var store = new S3ObjectStore(options);

        foreach (var key in ObjectStoreContractTests.BadKeys())
        {
            await Assert.ThrowsAsync<InvalidObjectKeyException>(() => store.PutAsync(key, new byte[] { 1 }, Ct));
            await Assert.ThrowsAsync<InvalidObjectKeyException>(() => store.GetAsync(key, Ct));
            await Assert.ThrowsAsync<InvalidObjectKeyException>(() => store.GetRangeAsync(key, 0, 1, Ct));
            await Assert.ThrowsAsync<InvalidObjectKeyException>(() => store.StatAsync(key, Ct));
            await Assert.ThrowsAsync<InvalidObjectKeyException>(() => store.DeleteAsync(key, Ct));
        }
    }

    [Fact]
    public async Task AddObjectStorage_WithTheS3Provider_BuildsAWorkingStore()
    {
        var prefix = S3rverFixture.NewPrefix();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ObjectStorage:Provider"] = "S3",
            ["ObjectStorage:S3:Bucket"] = S3rverFixture.BucketName,
            ["ObjectStorage:S3:Endpoint"] = server.Endpoint,
            ["ObjectStorage:S3:AccessKey"] = S3rverFixture.AccessKey,
            ["ObjectStorage:S3:SecretKey"] = S3rverFixture.SecretKey,
            ["ObjectStorage:S3:Prefix"] = prefix,
            ["ObjectStorage:S3:RequestTimeout"] = "00:00:10",
        }).Build();
        var services = new ServiceCollection().AddLogging();
        services.AddObjectStorage(configuration);

        await using (var provider = services.BuildServiceProvider())
        {
            var store = Assert.IsType<S3ObjectStore>(provider.GetRequiredService<IObjectStore>());
            Assert.Same(store, provider.GetRequiredService<IObjectStore>());
            Assert.Equal(S3rverFixture.BucketName, store.Bucket);
            Assert.Equal(prefix + "/", store.KeyPrefix);

            await store.PutAsync("segments/1/anonymous/01J/block.bin", new byte[] { 1, 2, 3 }, Ct);

            Assert.Equal(new byte[] { 2, 3 }, await store.GetRangeAsync("segments/1/anonymous/01J/block.bin", 1, 10, Ct));
            Assert.Equal(["segments/1/anonymous/01J/block.bin"], (await ListAsync(store)).Select(i => i.Key));
        }

        using var raw = RawClient();
        var listing = await raw.ListObjectsV2Async(new ListObjectsV2Request { BucketName = S3rverFixture.BucketName, Prefix = prefix + "/" }, Ct);
        Assert.Equal([prefix + "/segments/1/anonymous/01J/block.bin"], listing.S3Objects.Select(o => o.Key));
    }

    /// <summary>A loopback port nobody listens on (it was free a moment ago; nothing here binds ports).</summary>
    private static int UnusedPort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
