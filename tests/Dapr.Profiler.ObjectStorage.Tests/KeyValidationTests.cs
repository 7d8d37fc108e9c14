namespace Dapr.Profiler.ObjectStorage.Tests;

public sealed class KeyValidationTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly FileSystemObjectStore _store;

    public KeyValidationTests()
    {
        _store = new FileSystemObjectStore(_dir.Sub("bucket"));
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _dir.Dispose();

    public static TheoryData<string> FileSystemBadKeys() => [.. ObjectStoreContractTests.BadKeys(), ".tmp/x", ".tmp"];

    [Theory]
    [MemberData(nameof(FileSystemBadKeys))]
    public async Task BadKey_IsRejected_AndNothingIsMadeOutsideTheRoot(string key)
    {
        await Assert.ThrowsAsync<InvalidObjectKeyException>(() => _store.PutAsync(key, new byte[] { 1 }, Ct));
        await Assert.ThrowsAsync<InvalidObjectKeyException>(() => _store.GetAsync(key, Ct));
        await Assert.ThrowsAsync<InvalidObjectKeyException>(() => _store.GetRangeAsync(key, 0, 1, Ct));
        await Assert.ThrowsAsync<InvalidObjectKeyException>(() => _store.StatAsync(key, Ct));
        await Assert.ThrowsAsync<InvalidObjectKeyException>(() => _store.DeleteAsync(key, Ct));
        Assert.DoesNotContain(
            Directory.GetFileSystemEntries(_dir.Path, "*", SearchOption.AllDirectories),
            p => !p.StartsWith(_store.RootDirectory, StringComparison.Ordinal));
    }

    [Fact]
    public void InvalidKeyException_NamesTheKeyAndTheReason()
    {
        var ex = Assert.Throws<InvalidObjectKeyException>(() => ObjectKeys.Validate("a/../../x"));

        Assert.Equal("a/../../x", ex.Key);
        Assert.Contains("'..' segment", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SymbolicLinks_InsideTheRoot_AreNeverFollowed()
    {
        var outside = _dir.Sub("outside");
        Directory.CreateDirectory(outside);
        await File.WriteAllBytesAsync(Path.Join(outside, "secret"), new byte[] { 9 }, Ct);
        await _store.PutAsync("real/object", new byte[] { 1 }, Ct);
        Directory.CreateSymbolicLink(Path.Join(_store.RootDirectory, "link"), outside);
        Directory.CreateSymbolicLink(Path.Join(_store.RootDirectory, "real", "nested-link"), outside);
        File.CreateSymbolicLink(Path.Join(_store.RootDirectory, "file-link"), Path.Join(outside, "secret"));

        foreach (var key in new[] { "link/secret", "real/nested-link/secret", "file-link", "link/new" })
        {
            await Assert.ThrowsAsync<InvalidObjectKeyException>(() => _store.GetAsync(key, Ct));
            await Assert.ThrowsAsync<InvalidObjectKeyException>(() => _store.StatAsync(key, Ct));
            await Assert.ThrowsAsync<InvalidObjectKeyException>(() => _store.PutAsync(key, new byte[] { 2 }, Ct));
            await Assert.ThrowsAsync<InvalidObjectKeyException>(() => _store.DeleteAsync(key, Ct));
        }

        var listed = new List<string>();
        await foreach (var info in _store.ListAsync("", Ct))
        {
            listed.Add(info.Key);
        }

        Assert.Equal(["real/object"], listed);
        Assert.Equal(["secret"], Directory.GetFiles(outside).Select(Path.GetFileName));
        Assert.Equal(new byte[] { 9 }, await File.ReadAllBytesAsync(Path.Join(outside, "secret"), Ct));
    }
}
