using System.Text;
using System.Text.Json.Nodes;
using Dapr.Profiler.DaprSidecar.Emulator;
using Dapr.Profiler.ObjectStorage;
using Dapr.Profiler.TestKit;
using Microsoft.Extensions.Logging.Abstractions;

namespace Dapr.Profiler.Dapr.Tests;

/// <summary>
/// The <see cref="IObjectStore"/> contract of <see cref="DaprBindingObjectStore"/> (cases copied from the object
/// storage contract tests) plus parts, run against the sidecar emulator's bindings by the subclasses below.
/// </summary>
public abstract class DaprBindingObjectStoreTests : IAsyncLifetime
{
    private SidecarCluster? _cluster;
    private HttpClient? _http;
    private DaprBindingObjectStore? _store;
    private DaprClient? _client;

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected DaprBindingObjectStore Store => _store!;

    protected DaprClient Client => _client!;

    protected abstract string BindingType { get; }

    protected abstract SidecarClusterOptions ClusterOptions();

    protected virtual void Configure(DaprBindingObjectStoreOptions options)
    {
    }

    public async ValueTask InitializeAsync()
    {
        _cluster = await SidecarCluster.StartAsync(ClusterOptions(), Ct);
        await _cluster.WaitForAppsAsync(Ct);
        var sidecar = _cluster["store"];
        var daprOptions = new DaprOptions { HttpPort = sidecar.HttpPort };
        _http = new HttpClient { BaseAddress = daprOptions.HttpEndpoint };
        var options = new DaprBindingObjectStoreOptions { BindingName = "objectstore", BindingType = BindingType };
        Configure(options);
        _client = new DaprClient(_http, daprOptions);
        _store = new DaprBindingObjectStore(_client, options, NullLogger<DaprBindingObjectStore>.Instance);
    }

    public virtual async ValueTask DisposeAsync()
    {
        _http?.Dispose();
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }

    protected static SidecarApp ClientOnlyApp => new() { AppId = "store", AppPort = null };

    private async Task<List<ObjectInfo>> ListAllAsync(string prefix)
    {
        var infos = new List<ObjectInfo>();
        await foreach (var info in Store.ListAsync(prefix, Ct))
        {
            infos.Add(info);
        }

        return infos;
    }

    private static byte[] Pattern(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    [Fact]
    public void RangeReads_AreNotSupported() => Assert.False(Store.SupportsRangeReads);

    [Fact]
    public async Task Put_ThenGet_RoundTripsEveryByteValue_AndStatTellsSizeAndTime()
    {
        var before = DateTimeOffset.UtcNow.AddSeconds(-5);
        var data = Enumerable.Range(0, 256 * 4).Select(i => (byte)(i % 256)).ToArray();

        await Store.PutAsync("segments/1/anonymous/01J/block.bin", data, Ct);

        Assert.Equal(data, await Store.GetAsync("segments/1/anonymous/01J/block.bin", Ct));
        var info = await Store.StatAsync("segments/1/anonymous/01J/block.bin", Ct);
        Assert.NotNull(info);
        Assert.Equal("segments/1/anonymous/01J/block.bin", info.Key);
        Assert.Equal(data.Length, info.Size);
        Assert.InRange(info.LastModified, before, DateTimeOffset.UtcNow.AddSeconds(5));
    }

    [Theory]
    [InlineData("")]
    [InlineData("test")]
    [InlineData("{\"a\":\"<&>\"}")]
    [InlineData("dapr-profiler-parts/1\nsize 3\n")]
    public async Task TextThatLooksLikeSomethingElse_RoundTrips(string text)
    {
        var data = Encoding.UTF8.GetBytes(text);

        await Store.PutAsync("t/x", data, Ct);

        Assert.Equal(data, await Store.GetAsync("t/x", Ct));
        Assert.Equal(data.Length, (await Store.StatAsync("t/x", Ct))!.Size);
        Assert.Equal(["t/x"], (await ListAllAsync("t/")).Select(i => i.Key));
    }

    [Fact]
    public async Task Put_Overwrite_ReplacesTheWholeObject_BothWaysBetweenPlainAndParts()
    {
        var big = Pattern(Store.MaxPartBytes * 2 + 5, 1);
        await Store.PutAsync("k", Encoding.UTF8.GetBytes("a much longer first version"), Ct);
        await Store.PutAsync("k", "v2"u8.ToArray(), Ct);
        Assert.Equal("v2"u8.ToArray(), await Store.GetAsync("k", Ct));

        await Store.PutAsync("k", big, Ct);
        Assert.Equal(big, await Store.GetAsync("k", Ct));
        var bigger = Pattern(Store.MaxPartBytes + 1, 2);
        await Store.PutAsync("k", bigger, Ct);
        Assert.Equal(bigger, await Store.GetAsync("k", Ct));
        Assert.Equal(2, await PartCountAsync("k"));

        await Store.PutAsync("k", "v3"u8.ToArray(), Ct);
        Assert.Equal("v3"u8.ToArray(), await Store.GetAsync("k", Ct));
        Assert.Equal(0, await PartCountAsync("k"));
    }

    [Fact]
    public async Task TenMiBObject_IsSplitIntoParts_AndReassembled()
    {
        var data = Pattern(10 * 1024 * 1024, 3);

        await Store.PutAsync("blocks/big.bin", data, Ct);

        Assert.Equal((data.Length + Store.MaxPartBytes - 1) / Store.MaxPartBytes, await PartCountAsync("blocks/big.bin"));
        Assert.Equal(data, await Store.GetAsync("blocks/big.bin", Ct));
        var info = await Store.StatAsync("blocks/big.bin", Ct);
        Assert.Equal(data.Length, info!.Size);
        var listed = Assert.Single(await ListAllAsync("blocks/"));
        Assert.Equal(new ObjectInfo("blocks/big.bin", data.Length, info.LastModified), listed);

        var across = Store.MaxPartBytes - 10;
        Assert.Equal(data.AsSpan(across, 100).ToArray(), await Store.GetRangeAsync("blocks/big.bin", across, 100, Ct));
        Assert.Equal(data.AsSpan(data.Length - 7).ToArray(), await Store.GetRangeAsync("blocks/big.bin", data.Length - 7, 100, Ct));
        Assert.Empty(await Store.GetRangeAsync("blocks/big.bin", data.Length + 1, 100, Ct));
    }

    [Fact]
    public async Task ObjectExactlyAtTheBodyLimit_IsOnePiece_AndOneMoreByteMakesTwoParts()
    {
        var exact = Pattern(Store.MaxPartBytes, 4);
        var over = Pattern(Store.MaxPartBytes + 1, 5);

        await Store.PutAsync("edge/exact", exact, Ct);
        await Store.PutAsync("edge/over", over, Ct);

        Assert.Equal(0, await PartCountAsync("edge/exact"));
        Assert.Equal(2, await PartCountAsync("edge/over"));
        Assert.Equal(exact, await Store.GetAsync("edge/exact", Ct));
        Assert.Equal(over, await Store.GetAsync("edge/over", Ct));
        Assert.Equal([("edge/exact", (long)exact.Length), ("edge/over", (long)over.Length)], (await ListAllAsync("edge/")).Select(i => (i.Key, i.Size)));
    }

    [Fact]
    public async Task Missing_Object_IsNotFound_ForGetAndRange_AndNullForStat()
    {
        var get = await Assert.ThrowsAsync<ObjectNotFoundException>(() => Store.GetAsync("no/such/object", Ct));
        Assert.Equal("no/such/object", get.Key);
        await Assert.ThrowsAsync<ObjectNotFoundException>(() => Store.GetRangeAsync("no/such/object", 0, 10, Ct));
        Assert.Null(await Store.StatAsync("no/such/object", Ct));
    }

    [Fact]
    public async Task GetRange_ReadsTheRange_AndFewerBytesAtTheEnd()
    {
        var data = Enumerable.Range(0, 100).Select(i => (byte)i).ToArray();
        await Store.PutAsync("r", data, Ct);

        Assert.Equal(data[10..20], await Store.GetRangeAsync("r", 10, 10, Ct));
        Assert.Equal(data[95..], await Store.GetRangeAsync("r", 95, 10, Ct));
        Assert.Empty(await Store.GetRangeAsync("r", 100, 10, Ct));
        Assert.Empty(await Store.GetRangeAsync("r", 0, 0, Ct));
    }

    [Fact]
    public async Task List_ReturnsOrdinalKeyOrder_PlainPrefix_PartsHidden()
    {
        string[] keys = ["a/b", "a-c", "a.d", "a0", "aa", "A", "a/c/d", "b", "a/b-x/y", "a/b.x", "z/z/z/z"];
        foreach (var key in keys)
        {
            await Store.PutAsync(key, Encoding.UTF8.GetBytes(key), Ct);
        }

        await Store.PutAsync("a/big", Pattern(Store.MaxPartBytes + 3, 6), Ct);

        var all = await ListAllAsync(string.Empty);
        Assert.Equal(keys.Append("a/big").Order(StringComparer.Ordinal), all.Select(i => i.Key));
        Assert.All(all.Where(i => i.Key != "a/big"), i => Assert.Equal(Encoding.UTF8.GetByteCount(i.Key), i.Size));
        Assert.Equal(["a/b", "a/b-x/y", "a/b.x", "a/big"], (await ListAllAsync("a/b")).Select(i => i.Key));
        Assert.Equal(["a/b", "a/b-x/y", "a/b.x", "a/big", "a/c/d"], (await ListAllAsync("a/")).Select(i => i.Key));
        Assert.Equal(["a-c"], (await ListAllAsync("a-")).Select(i => i.Key));
        Assert.Empty(await ListAllAsync("nothing/here"));
        Assert.Empty(await ListAllAsync("a/big.part-"));
    }

    [Fact]
    public async Task Delete_IsIdempotent_RemovesParts_AndLeavesOtherObjects()
    {
        await Store.PutAsync("d/keep", "k"u8.ToArray(), Ct);
        await Store.PutAsync("d/big", Pattern(Store.MaxPartBytes * 2, 7), Ct);
        await Store.PutAsync("d/small", "s"u8.ToArray(), Ct);

        await Store.DeleteAsync("d/big", Ct);
        await Store.DeleteAsync("d/small", Ct);
        await Store.DeleteAsync("d/small", Ct);
        await Store.DeleteAsync("d/never", Ct);

        Assert.Equal(0, await PartCountAsync("d/big"));
        await Assert.ThrowsAsync<ObjectNotFoundException>(() => Store.GetAsync("d/big", Ct));
        Assert.Equal(["d/keep"], (await ListAllAsync("d/")).Select(i => i.Key));
    }

    [Theory]
    [InlineData("")]
    [InlineData("../x")]
    [InlineData("/a")]
    [InlineData("a//b")]
    [InlineData("x.part-0123456789abcdef-0000")]
    public async Task BadOrReservedKey_IsRejected(string key)
    {
        await Assert.ThrowsAsync<InvalidObjectKeyException>(() => Store.PutAsync(key, "x"u8.ToArray(), Ct));
        await Assert.ThrowsAsync<InvalidObjectKeyException>(() => Store.GetAsync(key, Ct));
        await Assert.ThrowsAsync<InvalidObjectKeyException>(() => Store.DeleteAsync(key, Ct));
        await Assert.ThrowsAsync<InvalidObjectKeyException>(() => Store.StatAsync(key, Ct));
    }

    /// <summary>How many part objects of <paramref name="key"/> the binding holds (seen through a prefix-free store).</summary>
    protected abstract Task<int> PartCountAsync(string key);
}

public sealed class LocalStorageBindingObjectStoreTests : DaprBindingObjectStoreTests
{
    private readonly string _root = Path.Join(Path.GetTempPath(), "dapr-binding-store-" + Guid.NewGuid().ToString("N"));

    protected override string BindingType => "localstorage";

    protected override SidecarClusterOptions ClusterOptions() => new()
    {
        Apps = [ClientOnlyApp],
        LocalStorageBindings = new Dictionary<string, string> { ["objectstore"] = _root },
    };

    protected override Task<int> PartCountAsync(string key) => Task.FromResult(
        Directory.Exists(_root)
            ? Directory.EnumerateFiles(_root, "*", SearchOption.AllDirectories)
                .Select(p => Path.GetRelativePath(_root, p).Replace('\\', '/'))
                .Count(p => p.StartsWith(key + ".part-", StringComparison.Ordinal) && DaprBindingObjectStore.IsPartKey(p))
            : 0);

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }
}

public sealed class LocalStorageWithRootAndPrefixObjectStoreTests : DaprBindingObjectStoreTests
{
    private readonly string _root = Path.Join(Path.GetTempPath(), "dapr-binding-store-" + Guid.NewGuid().ToString("N"));

    protected override string BindingType => "bindings.localstorage";

    protected override SidecarClusterOptions ClusterOptions() => new()
    {
        Apps = [ClientOnlyApp],
        LocalStorageBindings = new Dictionary<string, string> { ["objectstore"] = _root },
    };

    protected override void Configure(DaprBindingObjectStoreOptions options)
    {
        options.LocalStorageRootPath = _root;
        options.Prefix = "tenant-data";
    }

    protected override Task<int> PartCountAsync(string key)
    {
        var root = Path.Join(_root, "tenant-data");
        return Task.FromResult(
            Directory.Exists(root)
                ? Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
                    .Select(p => Path.GetRelativePath(root, p).Replace('\\', '/'))
                    .Count(p => p.StartsWith(key + ".part-", StringComparison.Ordinal) && DaprBindingObjectStore.IsPartKey(p))
                : 0);
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }
}

/// <summary>The contract over the emulator's <c>bindings.aws.s3</c>; the subclasses choose its backend.</summary>
public abstract class S3BindingObjectStoreTestsBase : DaprBindingObjectStoreTests
{
    /// <summary>A prefix of this test's own, so tests sharing a bucket never see each other's objects.</summary>
    private readonly string _prefix = "p-" + Guid.NewGuid().ToString("N")[..12] + "/";

    protected override string BindingType => "aws.s3";

    protected abstract S3BindingOptions BindingOptions();

    protected override SidecarClusterOptions ClusterOptions() => new()
    {
        Apps = [ClientOnlyApp],
        S3Bindings = new Dictionary<string, S3BindingOptions> { ["objectstore"] = BindingOptions() },
    };

    protected override void Configure(DaprBindingObjectStoreOptions options) => options.Prefix = _prefix;

    /// <summary>The parts are hidden from the store's listing, so this asks the binding itself (one page is enough here).</summary>
    protected override async Task<int> PartCountAsync(string key)
    {
        var response = await Client.InvokeBindingAsync("objectstore", "list", new JsonObject { ["prefix"] = _prefix + key + ".part-" }, null, Ct);
        var contents = JsonNode.Parse(response.Data)!["Contents"] as JsonArray;
        return contents?.Count(c => DaprBindingObjectStore.IsPartKey(c!["Key"]!.GetValue<string>())) ?? 0;
    }
}

/// <summary>The s3 binding with its objects in memory.</summary>
public sealed class S3BindingObjectStoreTests : S3BindingObjectStoreTestsBase
{
    protected override S3BindingOptions BindingOptions() => new() { Bucket = "profiles" };
}

/// <summary>The s3 binding backed by s3rver, a real S3-protocol server (as in the project's requirement).</summary>
public sealed class S3rverBindingObjectStoreTests(S3rverFixture s3rver) : S3BindingObjectStoreTestsBase, IClassFixture<S3rverFixture>
{
    protected override S3BindingOptions BindingOptions() => new()
    {
        Bucket = S3rverFixture.Bucket,
        Endpoint = s3rver.Server.Endpoint,
        AccessKey = s3rver.Server.AccessKey,
        SecretKey = s3rver.Server.SecretKey,
    };
}

/// <summary>One s3rver with the bucket <c>profiles</c>, shared by the tests of a class.</summary>
public sealed class S3rverFixture : IAsyncLifetime
{
    public const string Bucket = "profiles";

    private S3rverServer? _server;

    public S3rverServer Server => _server ?? throw new InvalidOperationException("s3rver is not started");

    public async ValueTask InitializeAsync() => _server = await S3rverServer.StartAsync(Bucket, TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
