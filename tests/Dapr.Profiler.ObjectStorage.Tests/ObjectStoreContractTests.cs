using System.Text;

namespace Dapr.Profiler.ObjectStorage.Tests;

/// <summary>
/// What every <see cref="IObjectStore"/> promises, run against each implementation by a concrete subclass
/// (<see cref="FileSystemObjectStoreContractTests"/>, <see cref="S3ObjectStoreContractTests"/>).
/// </summary>
public abstract class ObjectStoreContractTests
{
    /// <summary>An empty store of the implementation under test, fresh for each test.</summary>
    protected abstract IObjectStore Store { get; }

    /// <summary>
    /// Keys whose ordinal order a naive sort gets wrong: '-' (0x2D) &lt; '.' (0x2E) &lt; '/' (0x2F) &lt; '0' (0x30)
    /// &lt; 'A' &lt; 'a'.
    /// </summary>
    protected virtual string[] OrderingKeys => ["a/b", "a-c", "a.d", "a0", "aa", "A", "a/c/d", "b", "a/b-x/y", "a/b.x", "z/z/z/z"];

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string> BadKeys() =>
    [
        "",
        "../x",
        "..",
        "a/../../x",
        "a/..",
        "./a",
        "a/./b",
        "/etc/passwd",
        "/a",
        "a\\b",
        "..\\x",
        "a//b",
        "a/",
        "a\0b",
        "a\nb",
        "a\u007fb",
        new string('a', ObjectKeys.MaxLength + 1),
    ];

    public static TheoryData<string> GoodKeys() =>
    [
        "a",
        "segments/1/anonymous/01J0000000000000000000000/block.bin",
        "a..b/c.",
        "...",
        "ünïcödé/😀",
        "with space/and:colon",
        "x/.tmp",
        "url/+=&?#%20;,@$!'()[]~*",
    ];

    protected async Task<List<string>> KeysAsync(string prefix)
    {
        var keys = new List<string>();
        await foreach (var info in Store.ListAsync(prefix, Ct))
        {
            keys.Add(info.Key);
        }

        return keys;
    }

    [Fact]
    public async Task Put_ThenGet_ReturnsTheBytes_AndStatTellsSizeAndTime()
    {
        var before = DateTimeOffset.UtcNow.AddSeconds(-5);
        var data = Encoding.UTF8.GetBytes("hello object storage");

        await Store.PutAsync("segments/1/anonymous/01J/block.bin", data, Ct);

        Assert.Equal(data, await Store.GetAsync("segments/1/anonymous/01J/block.bin", Ct));
        var info = await Store.StatAsync("segments/1/anonymous/01J/block.bin", Ct);
        Assert.NotNull(info);
        Assert.Equal("segments/1/anonymous/01J/block.bin", info.Key);
        Assert.Equal(data.Length, info.Size);
        Assert.InRange(info.LastModified, before, DateTimeOffset.UtcNow.AddSeconds(5));
        Assert.Equal(TimeSpan.Zero, info.LastModified.Offset);
    }

    [Fact]
    public async Task Put_EmptyObject_RoundTrips()
    {
        await Store.PutAsync("empty", ReadOnlyMemory<byte>.Empty, Ct);

        Assert.Empty(await Store.GetAsync("empty", Ct));
        Assert.Equal(0, (await Store.StatAsync("empty", Ct))!.Size);
        Assert.Empty(await Store.GetRangeAsync("empty", 0, 10, Ct));
    }

    [Fact]
    public async Task Put_LargeObject_RoundTripsByteForByte()
    {
        var data = new byte[(5 * 1024 * 1024) + 17];
        new Random(42).NextBytes(data);

        // A slice of a larger array: the store must send exactly the slice.
        var backing = new byte[data.Length + 200];
        data.CopyTo(backing, 100);
        await Store.PutAsync("big/object", backing.AsMemory(100, data.Length), Ct);

        Assert.Equal(data, await Store.GetAsync("big/object", Ct));
        Assert.Equal(data.Length, (await Store.StatAsync("big/object", Ct))!.Size);
        Assert.Equal(data[3_000_000..3_100_000], await Store.GetRangeAsync("big/object", 3_000_000, 100_000, Ct));
    }

    [Fact]
    public async Task Put_Overwrite_ReplacesTheWholeObject()
    {
        await Store.PutAsync("k", new byte[1000], Ct);
        await Store.PutAsync("k", new byte[] { 1, 2, 3 }, Ct);

        Assert.Equal(new byte[] { 1, 2, 3 }, await Store.GetAsync("k", Ct));
        Assert.Equal(3, (await Store.StatAsync("k", Ct))!.Size);
        Assert.Equal(["k"], await KeysAsync(""));
    }

    [Fact]
    public async Task Missing_Object_IsNotFound_ForGetAndRange_AndNullForStat()
    {
        await Store.PutAsync("dir/object", new byte[] { 1 }, Ct);

        foreach (var key in new[] { "nothing", "no/such/dir/object", "dir" })
        {
            var ex = await Assert.ThrowsAsync<ObjectNotFoundException>(() => Store.GetAsync(key, Ct));
            Assert.Equal(key, ex.Key);
            Assert.Equal(key, (await Assert.ThrowsAsync<ObjectNotFoundException>(() => Store.GetRangeAsync(key, 0, 1, Ct))).Key);
            await Assert.ThrowsAsync<ObjectNotFoundException>(() => Store.GetRangeAsync(key, 10, 0, Ct));
            Assert.Null(await Store.StatAsync(key, Ct));
        }
    }

    [Fact]
    public async Task GetRange_ReadsTheRange_AndFewerBytesAtTheEnd()
    {
        var data = Enumerable.Range(0, 1000).Select(i => (byte)i).ToArray();
        await Store.PutAsync("r", data, Ct);

        Assert.True(Store.SupportsRangeReads);
        Assert.Equal(data[..10], await Store.GetRangeAsync("r", 0, 10, Ct));
        Assert.Equal(data[500..600], await Store.GetRangeAsync("r", 500, 100, Ct));
        Assert.Equal(data[999..], await Store.GetRangeAsync("r", 999, 1, Ct));
        Assert.Equal(data[990..], await Store.GetRangeAsync("r", 990, 100, Ct));
        Assert.Equal(data, await Store.GetRangeAsync("r", 0, int.MaxValue, Ct));
        Assert.Equal(data[1..], await Store.GetRangeAsync("r", 1, int.MaxValue, Ct));
        Assert.Empty(await Store.GetRangeAsync("r", 1000, 10, Ct));
        Assert.Empty(await Store.GetRangeAsync("r", 5000, 10, Ct));
        Assert.Empty(await Store.GetRangeAsync("r", long.MaxValue - 5, 10, Ct));
        Assert.Empty(await Store.GetRangeAsync("r", 10, 0, Ct));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Store.GetRangeAsync("r", -1, 10, Ct));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Store.GetRangeAsync("r", 0, -1, Ct));
    }

    [Fact]
    public async Task List_ReturnsOrdinalKeyOrder_WithSizes()
    {
        var keys = OrderingKeys;
        foreach (var key in keys)
        {
            await Store.PutAsync(key, Encoding.UTF8.GetBytes(key), Ct);
        }

        var expected = keys.Order(StringComparer.Ordinal).ToList();
        Assert.Equal(expected, await KeysAsync(""));
        var sizes = new List<long>();
        await foreach (var info in Store.ListAsync("", Ct))
        {
            sizes.Add(info.Size);
        }

        Assert.Equal(expected.Select(k => (long)Encoding.UTF8.GetByteCount(k)), sizes);
    }

    [Fact]
    public async Task List_PrefixIsAPlainStringPrefix_LikeS3()
    {
        string[] keys = ["a/b/1", "a/b/2", "a/bc", "a/bcd/3", "a/c", "ab", "b"];
        foreach (var key in keys)
        {
            await Store.PutAsync(key, new byte[] { 1 }, Ct);
        }

        Assert.Equal(["a/b/1", "a/b/2", "a/bc", "a/bcd/3"], await KeysAsync("a/b"));
        Assert.Equal(["a/b/1", "a/b/2"], await KeysAsync("a/b/"));
        Assert.Equal(["a/bc", "a/bcd/3"], await KeysAsync("a/bc"));
        Assert.Equal(["a/b/1", "a/b/2", "a/bc", "a/bcd/3", "a/c", "ab"], await KeysAsync("a"));
        Assert.Equal(["a/b/1", "a/b/2", "a/bc", "a/bcd/3", "a/c"], await KeysAsync("a/"));
        Assert.Equal(["a/b/2"], await KeysAsync("a/b/2"));
        Assert.Equal(keys, await KeysAsync(""));
        Assert.Empty(await KeysAsync("a/b/3"));
        Assert.Empty(await KeysAsync("c"));
        Assert.Empty(await KeysAsync("../"));
        Assert.Empty(await KeysAsync("A"));
    }

    [Fact]
    public async Task Delete_IsIdempotent_AndLeavesOtherObjects()
    {
        await Store.PutAsync("x/y/z", new byte[] { 1 }, Ct);
        await Store.PutAsync("x/w", new byte[] { 2 }, Ct);

        await Store.DeleteAsync("x/y/z", Ct);
        await Store.DeleteAsync("x/y/z", Ct);
        await Store.DeleteAsync("never/existed/at/all", Ct);
        await Store.DeleteAsync("x", Ct); // a prefix, not an object: nothing happens

        Assert.Null(await Store.StatAsync("x/y/z", Ct));
        await Assert.ThrowsAsync<ObjectNotFoundException>(() => Store.GetAsync("x/y/z", Ct));
        Assert.Equal(["x/w"], await KeysAsync(""));
        Assert.Equal(new byte[] { 2 }, await Store.GetAsync("x/w", Ct));

        await Store.DeleteAsync("x/w", Ct);
        Assert.Empty(await KeysAsync(""));
    }

    [Theory]
    [MemberData(nameof(BadKeys))]
    public async Task BadKey_IsRejected_ByEveryOperation(string key)
    {
        await Assert.ThrowsAsync<InvalidObjectKeyException>(() => Store.PutAsync(key, new byte[] { 1 }, Ct));
        await Assert.ThrowsAsync<InvalidObjectKeyException>(() => Store.GetAsync(key, Ct));
        await Assert.ThrowsAsync<InvalidObjectKeyException>(() => Store.GetRangeAsync(key, 0, 1, Ct));
        await Assert.ThrowsAsync<InvalidObjectKeyException>(() => Store.GetRangeAsync(key, 0, 0, Ct));
        await Assert.ThrowsAsync<InvalidObjectKeyException>(() => Store.StatAsync(key, Ct));
        await Assert.ThrowsAsync<InvalidObjectKeyException>(() => Store.DeleteAsync(key, Ct));
        Assert.Empty(await KeysAsync(""));
    }

    [Theory]
    [MemberData(nameof(GoodKeys))]
    public async Task GoodKey_IsAccepted_ByEveryOperation(string key)
    {
        if (OperatingSystem.IsWindows() && key.IndexOfAny([':', '?', '*']) >= 0)
        {
            return; // the filesystem store on Windows cannot hold these
        }

        await Store.PutAsync(key, new byte[] { 42, 43 }, Ct);

        Assert.Equal(new byte[] { 42, 43 }, await Store.GetAsync(key, Ct));
        Assert.Equal(new byte[] { 43 }, await Store.GetRangeAsync(key, 1, 5, Ct));
        Assert.Equal(2, (await Store.StatAsync(key, Ct))!.Size);
        Assert.Equal([key], await KeysAsync(""));
        Assert.Equal([key], await KeysAsync(key));

        await Store.DeleteAsync(key, Ct);

        Assert.Null(await Store.StatAsync(key, Ct));
        Assert.Empty(await KeysAsync(""));
    }

    [Fact]
    public async Task CancelledToken_StopsEveryOperation_WithOperationCanceled()
    {
        await Store.PutAsync("c", new byte[] { 1 }, Ct);
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Store.PutAsync("d", new byte[10], cts.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Store.GetAsync("c", cts.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Store.GetRangeAsync("c", 0, 1, cts.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Store.StatAsync("c", cts.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Store.DeleteAsync("c", cts.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var unused in Store.ListAsync("", cts.Token))
            {
                Assert.Fail($"listed {unused.Key} after cancellation");
            }
        });

        Assert.Null(await Store.StatAsync("d", Ct));
        Assert.Equal(["c"], await KeysAsync(""));
    }
}

/// <summary>The contract, on a directory.</summary>
public sealed class FileSystemObjectStoreContractTests : ObjectStoreContractTests, IDisposable
{
    private readonly TempDirectory _dir = new();

    public FileSystemObjectStoreContractTests()
    {
        Store = new FileSystemObjectStore(_dir.Sub("bucket"));
    }

    protected override IObjectStore Store { get; }

    public void Dispose() => _dir.Dispose();
}

/// <summary>The contract, on a real S3-protocol server (s3rver), each test in a key prefix of its own.</summary>
[Collection(S3rverGroup.Name)]
public sealed class S3ObjectStoreContractTests : ObjectStoreContractTests, IDisposable
{
    private readonly S3ObjectStore _store;

    public S3ObjectStoreContractTests(S3rverFixture server)
    {
        ArgumentNullException.ThrowIfNull(server);
        _store = server.CreateStore();
    }

    protected override IObjectStore Store => _store;

    /// <summary>
    /// s3rver lists in the order of its directory walk over <c>{key}._S3rver_object</c> files, not in key order (see
    /// <see cref="S3ObjectStoreTests.S3rverListingOutOfKeyOrder_IsReported_NotPassedOn"/>); these keys, shaped like
    /// the store's real ones, come out right there. AWS S3 and MinIO order every key set correctly.
    /// </summary>
    protected override string[] OrderingKeys =>
        ["segments/1/anonymous/01J0B/block.bin", "segments/1/anonymous/01J0A/block.bin", "segments/10/x", "segments/2/y",
         "blocks/a", "b", "metastore/snapshot", "A", "z/z/z/z", "segments/1/tenant-b/01J0A/block.bin"];

    public void Dispose() => _store.Dispose();
}
