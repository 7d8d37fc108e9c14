using Dapr.Profiler.TestKit;

namespace Dapr.Profiler.ObjectStorage.Tests;

public sealed class FaultInjectingObjectStoreTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task FailNextPuts_FailsExactlyThatMany_ThenPassesThrough()
    {
        var store = new FaultInjectingObjectStore(new FileSystemObjectStore(_dir.Path));
        store.FailNextPuts(2);

        await Assert.ThrowsAsync<ObjectStoreException>(() => store.PutAsync("k", new byte[] { 1 }, Ct));
        await Assert.ThrowsAsync<ObjectStoreException>(() => store.PutAsync("k", new byte[] { 1 }, Ct));
        Assert.Null(await store.StatAsync("k", Ct));
        await store.PutAsync("k", new byte[] { 1 }, Ct);

        Assert.Equal(new byte[] { 1 }, await store.GetAsync("k", Ct));
        Assert.Equal(3, store.Calls(ObjectStoreOperation.Put));
    }

    [Fact]
    public async Task AfterWriteFailure_StoresTheObject_ButReportsAnError()
    {
        var store = new FaultInjectingObjectStore(new FileSystemObjectStore(_dir.Path)) { PutFailureMode = PutFailureMode.AfterWrite };
        store.FailNext(ObjectStoreOperation.Put, 1, key => new TimeoutException(key));

        await Assert.ThrowsAsync<TimeoutException>(() => store.PutAsync("k", new byte[] { 5 }, Ct));

        Assert.Equal(new byte[] { 5 }, await store.Inner.GetAsync("k", Ct));
    }

    [Fact]
    public async Task FailNextGets_CoversRanges_AndBeforeCallHoldsACall()
    {
        var store = new FaultInjectingObjectStore(new FileSystemObjectStore(_dir.Path));
        await store.PutAsync("k", new byte[] { 1, 2, 3 }, Ct);
        store.FailNextGets(1);
        await Assert.ThrowsAsync<ObjectStoreException>(() => store.GetRangeAsync("k", 0, 1, Ct));

        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        store.BeforeCall = async (operation, key, ct) =>
        {
            entered.TrySetResult();
            await release.Task.WaitAsync(ct);
        };
        var get = store.GetAsync("k", Ct);
        await entered.Task.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        Assert.False(get.IsCompleted);
        release.SetResult();

        Assert.Equal(new byte[] { 1, 2, 3 }, await get);
    }
}
