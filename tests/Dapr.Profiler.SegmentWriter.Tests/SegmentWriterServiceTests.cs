using Dapr.Profiler.Block;
using Dapr.Profiler.Mesh;
using Dapr.Profiler.Protos.Block;
using Dapr.Profiler.TestKit;

namespace Dapr.Profiler.SegmentWriter.Tests;

public sealed class SegmentWriterServiceTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task PushesOfOneWindow_BecomeOneObjectPerShard_HoldingEveryTenant()
    {
        await using var fixture = new SegmentWriterFixture();
        await fixture.StartAsync();

        var pushes = new[]
        {
            fixture.Writer.PushAsync(SegmentWriterFixture.Request("tenant-a", "checkout", 1), None),
            fixture.Writer.PushAsync(SegmentWriterFixture.Request("tenant-b", "checkout", 1), None),
            fixture.Writer.PushAsync(SegmentWriterFixture.Request("tenant-a", "cart", 2, "go-cpu-2.pb.gz"), None),
        };
        var responses = await Task.WhenAll(pushes);

        Assert.Equal(responses[0].BlockId, responses[1].BlockId);
        var shard1 = Assert.Single(await fixture.ObjectsAsync("segments/1/"));
        Assert.Equal($"segments/1/anonymous/{responses[0].BlockId}/block.bin", shard1.Key);
        Assert.Single(await fixture.ObjectsAsync("segments/2/"));

        var meta = BlockReader.Open(await fixture.Bucket.GetAsync(shard1.Key, None)).Meta;
        Assert.Equal(["tenant-a", "tenant-b"], meta.Datasets.Select(d => meta.GetTenant(d)));
        Assert.Equal(string.Empty, meta.GetTenant());
        Assert.Equal(0u, meta.CompactionLevel);
        Assert.Equal(2, fixture.Metastore.Blocks.Count);
        Assert.Equal((ulong)shard1.Size, fixture.Metastore.Blocks.Single(b => b.Id == responses[0].BlockId).Size);
    }

    [Fact]
    public async Task Ack_WaitsUntilTheObjectIsStoredAndRegistered()
    {
        await using var fixture = new SegmentWriterFixture();
        var release = new TaskCompletionSource();
        var putStarted = new TaskCompletionSource();
        fixture.Store.BeforeCall = async (operation, _, _) =>
        {
            if (operation == ObjectStoreOperation.Put)
            {
                putStarted.TrySetResult();
                await release.Task;
            }
        };
        await fixture.StartAsync();

        var push = fixture.Writer.PushAsync(SegmentWriterFixture.Request("t", "svc", 1), None);
        await putStarted.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);

        Assert.False(push.IsCompleted);
        Assert.Empty(fixture.Metastore.Blocks);
        release.SetResult();
        var response = await push;
        Assert.Single(fixture.Metastore.Blocks, b => b.Id == response.BlockId);
        Assert.Single(await fixture.ObjectsAsync("segments/"));
    }

    [Fact]
    public async Task UploadFailingEveryRetry_FailsThePushes_AndRegistersNothing()
    {
        await using var fixture = new SegmentWriterFixture(new SegmentWriterOptions { SegmentDuration = TimeSpan.FromMilliseconds(50), UploadRetries = 2 });
        fixture.Store.FailNextPuts(3);
        await fixture.StartAsync();

        var error = await Assert.ThrowsAsync<ServiceException>(() => fixture.Writer.PushAsync(SegmentWriterFixture.Request("t", "svc", 1), None));

        Assert.Equal(ServiceStatus.Unavailable, error.Status);
        Assert.Empty(fixture.Metastore.Blocks);
        Assert.Empty(await fixture.ObjectsAsync("segments/"));
        Assert.Equal(1, fixture.Metrics.SegmentsFailed);
    }

    [Fact]
    public async Task TransientUploadFailure_IsRetried_AndAcknowledged()
    {
        await using var fixture = new SegmentWriterFixture();
        fixture.Store.FailNextPuts(2);
        await fixture.StartAsync();

        var response = await fixture.Writer.PushAsync(SegmentWriterFixture.Request("t", "svc", 1), None);

        Assert.Single(fixture.Metastore.Blocks, b => b.Id == response.BlockId);
        Assert.Single(await fixture.ObjectsAsync("segments/"));
    }

    [Fact]
    public async Task MetastoreDown_WritesTheMetadataToTheDlq_AndStillAcknowledges()
    {
        await using var fixture = new SegmentWriterFixture();
        fixture.Metastore.Fail = true;
        await fixture.StartAsync();

        var response = await fixture.Writer.PushAsync(SegmentWriterFixture.Request("t", "svc", 3), None);

        var dlq = Assert.Single(await fixture.ObjectsAsync("dlq/"));
        Assert.Equal($"dlq/3/anonymous/{response.BlockId}/meta.pb", dlq.Key);
        var meta = BlockMeta.Parser.ParseFrom(await fixture.Bucket.GetAsync(dlq.Key, None));
        Assert.Equal(response.BlockId, meta.Id);
        Assert.Single(await fixture.ObjectsAsync("segments/3/"));
        Assert.Equal(1, fixture.Metrics.DlqWrites);
    }

    [Fact]
    public async Task MetastoreDown_WithoutDlq_FailsThePush()
    {
        await using var fixture = new SegmentWriterFixture(new SegmentWriterOptions { SegmentDuration = TimeSpan.FromMilliseconds(50), MetadataDlqEnabled = false });
        fixture.Metastore.Fail = true;
        await fixture.StartAsync();

        await Assert.ThrowsAsync<ServiceException>(() => fixture.Writer.PushAsync(SegmentWriterFixture.Request("t", "svc", 1), None));
        Assert.Empty(await fixture.ObjectsAsync("dlq/"));
    }

    [Fact]
    public async Task ASlowFlush_DoesNotHoldBackLaterSegments()
    {
        await using var fixture = new SegmentWriterFixture();
        var release = new TaskCompletionSource();
        var firstPut = 0;
        fixture.Store.BeforeCall = async (operation, key, _) =>
        {
            if (operation == ObjectStoreOperation.Put && key.StartsWith("segments/1/", StringComparison.Ordinal) && Interlocked.Exchange(ref firstPut, 1) == 0)
            {
                await release.Task;
            }
        };
        await fixture.StartAsync();

        var stuck = fixture.Writer.PushAsync(SegmentWriterFixture.Request("t", "svc", 1), None);
        var later = await fixture.Writer.PushAsync(SegmentWriterFixture.Request("t", "svc", 2), None);

        Assert.False(stuck.IsCompleted);
        Assert.NotNull(later.BlockId);
        release.SetResult();
        Assert.NotEqual(later.BlockId, (await stuck).BlockId);
    }

    [Fact]
    public async Task FullSegment_ClosesBeforeTheWindowEnds()
    {
        await using var fixture = new SegmentWriterFixture(new SegmentWriterOptions { SegmentDuration = TimeSpan.FromMinutes(1), MaxSegmentBytes = 64 * 1024 });
        await fixture.StartAsync();

        var pushes = Enumerable.Range(0, 6).Select(_ =>
            fixture.Writer.PushAsync(SegmentWriterFixture.Request("t", "svc", 1, "go-cpu-4.pb.gz"), None)).ToArray();

        // The window is a minute long, so only a full segment can be acknowledged this soon.
        await Task.WhenAny(pushes).WaitAsync(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken);
        Assert.True(fixture.Metrics.ObjectsWritten >= 1);
        await fixture.Writer.StoppedAsync(None);
        var responses = await Task.WhenAll(pushes);
        Assert.True(responses.Select(r => r.BlockId).Distinct().Count() >= 2);
    }

    [Fact]
    public async Task Stop_FlushesTheOpenSegment_ThenRejectsNewPushes()
    {
        await using var fixture = new SegmentWriterFixture(new SegmentWriterOptions { SegmentDuration = TimeSpan.FromMinutes(1) });
        await fixture.StartAsync();
        var push = fixture.Writer.PushAsync(SegmentWriterFixture.Request("t", "svc", 1), None);
        Assert.False(push.IsCompleted);

        await fixture.Writer.StoppedAsync(None);

        Assert.True(push.IsCompletedSuccessfully);
        Assert.Single(await fixture.ObjectsAsync("segments/"));
        var error = await Assert.ThrowsAsync<ServiceException>(() => fixture.Writer.PushAsync(SegmentWriterFixture.Request("t", "svc", 1), None));
        Assert.Equal(ServiceStatus.Unavailable, error.Status);
    }

    [Fact]
    public async Task ConcurrentPushers_EveryProfileStoredExactlyOnce()
    {
        await using var fixture = new SegmentWriterFixture();
        await fixture.StartAsync();
        var tenants = new[] { "a", "b", "c" };
        var services = new[] { "s1", "s2", "s3", "s4" };

        var pushes = Enumerable.Range(0, 120).Select(i => fixture.Writer.PushAsync(
            SegmentWriterFixture.Request(tenants[i % 3], services[i % 4], (uint)(1 + (i % 4))), None)).ToArray();
        await Task.WhenAll(pushes);

        var rows = 0L;
        foreach (var info in await fixture.ObjectsAsync("segments/"))
        {
            var reader = BlockReader.Open(await fixture.Bucket.GetAsync(info.Key, None));
            rows += reader.Meta.Datasets.Sum(d => (long)d.ProfileCount);
        }

        // Each Go CPU profile has two sample types, so two rows.
        Assert.Equal(120 * 2, rows);
        Assert.Equal(120, fixture.Metrics.PushesAcknowledged);
    }

    [Fact]
    public async Task InvalidRequests_AreInvalidArgument()
    {
        await using var fixture = new SegmentWriterFixture();
        var request = SegmentWriterFixture.Request("t", "svc", 1);
        request.Shard = 0;
        Assert.Equal(ServiceStatus.InvalidArgument, (await Assert.ThrowsAsync<ServiceException>(() => fixture.Writer.PushAsync(request, None))).Status);

        var badType = SegmentWriterFixture.Request("t", "svc", 1);
        badType.Series[0].ProfileType = "nope";
        Assert.Equal(ServiceStatus.InvalidArgument, (await Assert.ThrowsAsync<ServiceException>(() => fixture.Writer.PushAsync(badType, None))).Status);
    }
}
