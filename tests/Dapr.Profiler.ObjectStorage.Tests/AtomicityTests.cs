namespace Dapr.Profiler.ObjectStorage.Tests;

public sealed class AtomicityTests : IDisposable
{
    private const int BaseSize = 2 * 1024 * 1024;
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>Version v is <c>BaseSize + v * 4096</c> bytes, all equal to v: any mix of versions is detectable.</summary>
    private static byte[] Version(int v)
    {
        var data = new byte[BaseSize + (v * 4096)];
        Array.Fill(data, (byte)v);
        return data;
    }

    private static void AssertWhole(byte[] read)
    {
        Assert.NotEmpty(read);
        var v = read[0];
        Assert.Equal(BaseSize + (v * 4096), read.Length);
        Assert.True(Array.TrueForAll(read, b => b == v), $"object mixes version {v} with another");
    }

    [Fact]
    public async Task ConcurrentReaders_NeverSeeAPartialObject_WhileAWriterOverwrites()
    {
        var ct = TestContext.Current.CancellationToken;
        var store = new FileSystemObjectStore(_dir.Sub("bucket"));
        await store.PutAsync("hot/object", Version(1), ct);
        using var writerDone = new CancellationTokenSource();
        var reads = 0;
        var rangeReads = 0;

        async Task ReaderAsync()
        {
            while (!writerDone.IsCancellationRequested)
            {
                AssertWhole(await store.GetAsync("hot/object", ct));
                Interlocked.Increment(ref reads);

                // The tail of the object tells its version by its length: a range read sees one version too.
                var info = await store.StatAsync("hot/object", ct);
                Assert.NotNull(info);
                var tail = await store.GetRangeAsync("hot/object", BaseSize - 16, 256 * 1024, ct);
                var v = tail[0];
                Assert.True(Array.TrueForAll(tail, b => b == v));
                Assert.Equal((v * 4096) + 16, tail.Length);
                Interlocked.Increment(ref rangeReads);
            }
        }

        var readers = Enumerable.Range(0, 4).Select(_ => Task.Run(ReaderAsync, ct)).ToArray();
        for (var v = 2; v <= 40; v++)
        {
            await store.PutAsync("hot/object", Version(v), ct);
        }

        await writerDone.CancelAsync();
        await Task.WhenAll(readers);

        AssertWhole(await store.GetAsync("hot/object", ct));
        Assert.Equal(40, (await store.GetAsync("hot/object", ct))[0]);
        Assert.True(reads > 0 && rangeReads > 0, "the readers never ran while the writer wrote");
        Assert.Empty(Directory.GetFiles(Path.Join(store.RootDirectory, FileSystemObjectStore.TempDirectoryName)));
    }

    [Fact]
    public async Task ConcurrentPutsAndDeletes_InOneDirectory_AllSucceed()
    {
        // Deletes prune empty directories; a put racing with the prune must still land.
        var ct = TestContext.Current.CancellationToken;
        var store = new FileSystemObjectStore(_dir.Sub("bucket"));
        var tasks = Enumerable.Range(0, 8).Select(worker => Task.Run(
            async () =>
            {
                for (var i = 0; i < 50; i++)
                {
                    var key = $"shared/dir/{worker}-{i}";
                    await store.PutAsync(key, new byte[] { (byte)i }, ct);
                    Assert.Equal(new byte[] { (byte)i }, await store.GetAsync(key, ct));
                    await store.DeleteAsync(key, ct);
                }
            },
            ct));

        await Task.WhenAll(tasks);

        await foreach (var info in store.ListAsync("", ct))
        {
            Assert.Fail($"unexpected object {info.Key}");
        }
    }
}
