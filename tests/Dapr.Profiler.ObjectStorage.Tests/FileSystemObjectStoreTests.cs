using System.Text;

namespace Dapr.Profiler.ObjectStorage.Tests;

public sealed class FileSystemObjectStoreTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly FileSystemObjectStore _store;

    public FileSystemObjectStoreTests()
    {
        _store = new FileSystemObjectStore(_dir.Sub("bucket"));
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _dir.Dispose();

    private async Task<List<string>> KeysAsync(string prefix)
    {
        var keys = new List<string>();
        await foreach (var info in _store.ListAsync(prefix, Ct))
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

        await _store.PutAsync("segments/1/anonymous/01J/block.bin", data, Ct);

        Assert.Equal(data, await _store.GetAsync("segments/1/anonymous/01J/block.bin", Ct));
        var info = await _store.StatAsync("segments/1/anonymous/01J/block.bin", Ct);
        Assert.NotNull(info);
        Assert.Equal("segments/1/anonymous/01J/block.bin", info.Key);
        Assert.Equal(data.Length, info.Size);
        Assert.InRange(info.LastModified, before, DateTimeOffset.UtcNow.AddSeconds(5));
        Assert.True(File.Exists(Path.Join(_store.RootDirectory, "segments", "1", "anonymous", "01J", "block.bin")));
    }

    [Fact]
    public async Task Put_EmptyObject_RoundTrips()
    {
        await _store.PutAsync("empty", ReadOnlyMemory<byte>.Empty, Ct);

        Assert.Empty(await _store.GetAsync("empty", Ct));
        Assert.Equal(0, (await _store.StatAsync("empty", Ct))!.Size);
    }

    [Fact]
    public async Task Put_Overwrite_ReplacesTheWholeObject()
    {
        await _store.PutAsync("k", new byte[1000], Ct);
        await _store.PutAsync("k", new byte[] { 1, 2, 3 }, Ct);

        Assert.Equal(new byte[] { 1, 2, 3 }, await _store.GetAsync("k", Ct));
    }

    [Fact]
    public async Task Objects_SurviveReopeningTheStore()
    {
        await _store.PutAsync("a/b", new byte[] { 7 }, Ct);

        var reopened = new FileSystemObjectStore(_store.RootDirectory);

        Assert.Equal(new byte[] { 7 }, await reopened.GetAsync("a/b", Ct));
    }

    [Fact]
    public async Task Missing_Object_IsNotFound_ForGetAndRange_AndNullForStat()
    {
        await _store.PutAsync("dir/object", new byte[] { 1 }, Ct);

        foreach (var key in new[] { "nothing", "no/such/dir/object", "dir" })
        {
            var ex = await Assert.ThrowsAsync<ObjectNotFoundException>(() => _store.GetAsync(key, Ct));
            Assert.Equal(key, ex.Key);
            await Assert.ThrowsAsync<ObjectNotFoundException>(() => _store.GetRangeAsync(key, 0, 1, Ct));
            Assert.Null(await _store.StatAsync(key, Ct));
        }
    }

    [Fact]
    public async Task GetRange_ReadsTheRange_AndFewerBytesAtTheEnd()
    {
        var data = Enumerable.Range(0, 1000).Select(i => (byte)i).ToArray();
        await _store.PutAsync("r", data, Ct);

        Assert.Equal(data[..10], await _store.GetRangeAsync("r", 0, 10, Ct));
        Assert.Equal(data[500..600], await _store.GetRangeAsync("r", 500, 100, Ct));
        Assert.Equal(data[990..], await _store.GetRangeAsync("r", 990, 100, Ct));
        Assert.Empty(await _store.GetRangeAsync("r", 1000, 10, Ct));
        Assert.Empty(await _store.GetRangeAsync("r", 5000, 10, Ct));
        Assert.Empty(await _store.GetRangeAsync("r", 10, 0, Ct));
        Assert.True(_store.SupportsRangeReads);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => _store.GetRangeAsync("r", -1, 10, Ct));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => _store.GetRangeAsync("r", 0, -1, Ct));
    }

    [Fact]
    public async Task List_ReturnsOrdinalKeyOrder_AcrossDirectories()
    {
        // '-' (0x2D) < '.' (0x2E) < '/' (0x2F) < '0' (0x30) < 'A' < 'a': a naive per-directory sort gets this wrong.
        string[] keys = ["a/b", "a-c", "a.d", "a0", "aa", "A", "a/c/d", "b", "a/b-x/y", "a/b.x", "z/z/z/z"];
        foreach (var key in keys)
        {
            await _store.PutAsync(key, Encoding.UTF8.GetBytes(key), Ct);
        }

        var expected = keys.Order(StringComparer.Ordinal).ToList();
        Assert.Equal(expected, await KeysAsync(""));
        var sizes = new List<long>();
        await foreach (var info in _store.ListAsync("", Ct))
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
            await _store.PutAsync(key, new byte[] { 1 }, Ct);
        }

        Assert.Equal(["a/b/1", "a/b/2", "a/bc", "a/bcd/3"], await KeysAsync("a/b"));
        Assert.Equal(["a/b/1", "a/b/2"], await KeysAsync("a/b/"));
        Assert.Equal(["a/bc", "a/bcd/3"], await KeysAsync("a/bc"));
        Assert.Equal(["a/b/1", "a/b/2", "a/bc", "a/bcd/3", "a/c", "ab"], await KeysAsync("a"));
        Assert.Equal(["a/b/1", "a/b/2", "a/bc", "a/bcd/3", "a/c"], await KeysAsync("a/"));
        Assert.Equal(["a/b/2"], await KeysAsync("a/b/2"));
        Assert.Empty(await KeysAsync("a/b/3"));
        Assert.Empty(await KeysAsync("c"));
        Assert.Empty(await KeysAsync("../"));
    }

    [Fact]
    public async Task Delete_IsIdempotent_AndPrunesEmptyDirectories()
    {
        await _store.PutAsync("x/y/z", new byte[] { 1 }, Ct);
        await _store.PutAsync("x/w", new byte[] { 2 }, Ct);

        await _store.DeleteAsync("x/y/z", Ct);
        await _store.DeleteAsync("x/y/z", Ct);
        await _store.DeleteAsync("never/existed/at/all", Ct);
        await _store.DeleteAsync("x", Ct); // a prefix, not an object: nothing happens

        Assert.Null(await _store.StatAsync("x/y/z", Ct));
        Assert.False(Directory.Exists(Path.Join(_store.RootDirectory, "x", "y")));
        Assert.Equal(["x/w"], await KeysAsync(""));

        await _store.DeleteAsync("x/w", Ct);
        Assert.False(Directory.Exists(Path.Join(_store.RootDirectory, "x")));
        Assert.True(Directory.Exists(_store.RootDirectory));
        Assert.Empty(await KeysAsync(""));
    }

    [Fact]
    public async Task Put_WhereAnObjectIsAlsoAPrefix_FailsWithTheKeyInTheMessage()
    {
        await _store.PutAsync("p", new byte[] { 1 }, Ct);
        await _store.PutAsync("q/r", new byte[] { 1 }, Ct);

        var below = await Assert.ThrowsAsync<ObjectStoreException>(() => _store.PutAsync("p/child", new byte[] { 2 }, Ct));
        var over = await Assert.ThrowsAsync<ObjectStoreException>(() => _store.PutAsync("q", new byte[] { 2 }, Ct));

        Assert.StartsWith("cannot store object p/child:", below.Message, StringComparison.Ordinal);
        Assert.StartsWith("cannot store object q:", over.Message, StringComparison.Ordinal);
        Assert.Equal(new byte[] { 1 }, await _store.GetAsync("p", Ct));
        Assert.Empty(Directory.GetFiles(Path.Join(_store.RootDirectory, FileSystemObjectStore.TempDirectoryName)));
    }

    [Fact]
    public async Task AbandonedTempFile_IsNeverListed_AndStaleOnesAreRemovedAtOpen()
    {
        await _store.PutAsync("real", new byte[] { 1 }, Ct);
        var tempDir = Path.Join(_store.RootDirectory, FileSystemObjectStore.TempDirectoryName);
        var stale = Path.Join(tempDir, Guid.NewGuid().ToString("N") + ".tmp");
        var fresh = Path.Join(tempDir, Guid.NewGuid().ToString("N") + ".tmp");
        await File.WriteAllBytesAsync(stale, new byte[100], Ct);
        await File.WriteAllBytesAsync(fresh, new byte[100], Ct);
        File.SetLastWriteTimeUtc(stale, DateTime.UtcNow.AddHours(-2));

        Assert.Equal(["real"], await KeysAsync(""));
        Assert.Empty(await KeysAsync(".tmp"));
        await Assert.ThrowsAsync<InvalidObjectKeyException>(() => _store.GetAsync(".tmp/" + Path.GetFileName(fresh), Ct));

        _ = new FileSystemObjectStore(_store.RootDirectory);

        Assert.False(File.Exists(stale));
        Assert.True(File.Exists(fresh)); // may belong to a live writer in another process
    }

    [Fact]
    public async Task CancelledPut_LeavesNoTempFileAndNoObject()
    {
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _store.PutAsync("c", new byte[10], cts.Token));

        Assert.Null(await _store.StatAsync("c", Ct));
        Assert.Empty(Directory.GetFiles(Path.Join(_store.RootDirectory, FileSystemObjectStore.TempDirectoryName)));
    }

    [Fact]
    public void DirectorySync_WorksOnThisPlatform()
    {
        Assert.True(DirectorySync.TrySync(_store.RootDirectory, out var errno), $"directory fsync is unsupported here (errno {errno})");
        Assert.Throws<IOException>(() => DirectorySync.TrySync(Path.Join(_store.RootDirectory, "missing"), out _));
    }
}
