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
    public async Task Put_StoresOneFile_AtTheKeysPath()
    {
        var data = Encoding.UTF8.GetBytes("hello object storage");

        await _store.PutAsync("segments/1/anonymous/01J/block.bin", data, Ct);

        var file = Path.Join(_store.RootDirectory, "segments", "1", "anonymous", "01J", "block.bin");
        Assert.Equal(data, await File.ReadAllBytesAsync(file, Ct));
        Assert.Empty(Directory.GetFiles(Path.Join(_store.RootDirectory, FileSystemObjectStore.TempDirectoryName)));
    }

    [Fact]
    public async Task Objects_SurviveReopeningTheStore()
    {
        await _store.PutAsync("a/b", new byte[] { 7 }, Ct);

        var reopened = new FileSystemObjectStore(_store.RootDirectory);

        Assert.Equal(new byte[] { 7 }, await reopened.GetAsync("a/b", Ct));
    }

    [Fact]
    public async Task Delete_PrunesEmptyDirectories()
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
