using Dapr.Profiler.Block;
using Dapr.Profiler.Mesh;
using Dapr.Profiler.ObjectStorage;
using Dapr.Profiler.Protos.Compaction;

namespace Dapr.Profiler.Compaction.Tests;

/// <summary>Cases found in review: a missing source, data hidden by retention, lease renewal.</summary>
public sealed class ReviewRegressionTests : IDisposable
{
    private const string Tenant = "tenant-a";
    private readonly string _directory = Directory.CreateTempSubdirectory("dprof-compaction-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task AMissingSourceObject_FailsTheJob_AndTheSourcesStayIndexed()
    {
        await using var cluster = await CompactionCluster.StartAsync(_directory, "Compaction:L0:MaxBlocks=2", "Compaction:LeaseDuration=00:01:00");
        var a = await cluster.AddSegmentAsync(1, DateTimeOffset.UtcNow, (Tenant, "checkout", 1));
        var b = await cluster.AddSegmentAsync(1, DateTimeOffset.UtcNow, (Tenant, "checkout", 2));
        await cluster.PollAsync(1);
        var job = await cluster.Jobs.NextAsync();
        await cluster.Store.DeleteAsync(BlockObjectKeys.Of(b), TestContext.Current.CancellationToken);

        await Assert.ThrowsAsync<ObjectNotFoundException>(() => cluster.Worker.RunAsync(job, TestContext.Current.CancellationToken));
        Assert.Equal([a.Id, b.Id], (await cluster.BlocksAsync(1)).Select(m => m.Id).Order(StringComparer.Ordinal));
        Assert.Empty(await cluster.KeysAsync(BlockObjectKeys.BlocksPrefix));
    }

    [Fact]
    public async Task DatasetsEndingBeforeTheRetentionEdge_AreNotMerged()
    {
        await using var cluster = await CompactionCluster.StartAsync(_directory);
        var old = await cluster.AddSegmentAsync(1, DateTimeOffset.UtcNow, (Tenant, "hidden", 1), (Tenant, "kept", 2));
        var fresh = await cluster.AddSegmentAsync(1, DateTimeOffset.UtcNow, (Tenant, "hidden", 60_000));
        var sources = new List<(Protos.Block.BlockMeta, ReadOnlyMemory<byte>)>();
        foreach (var meta in new[] { old, fresh })
        {
            sources.Add((meta, await cluster.Store.GetAsync(BlockObjectKeys.Of(meta), TestContext.Current.CancellationToken)));
        }

        // The edge lies after the old "hidden" dataset but before "kept" ends and before the fresh one.
        var edges = new Dictionary<string, long> { [Tenant] = Profiles.BaseMs + 2 };
        var output = BlockCompactor.Merge(sources, 1, 0, 5, edges).Single();
        var reader = BlockReader.Open(output.Bytes);
        var hidden = reader.OpenDataset(reader.Meta.FindDatasets(Tenant, "hidden").Single());
        Assert.Equal([(Profiles.BaseMs + 60_000) * 1_000_000], hidden.Rows(null, long.MinValue, long.MaxValue).Select(r => r.TimestampNanos).Distinct());
        Assert.Single(reader.Meta.FindDatasets(Tenant, "kept"));

        // Without an edge both rows of "hidden" are merged.
        var all = BlockReader.Open(BlockCompactor.Merge(sources, 1, 0, 5).Single().Bytes);
        Assert.Equal(2, all.OpenDataset(all.Meta.FindDatasets(Tenant, "hidden").Single()).Rows(null, long.MinValue, long.MaxValue).Select(r => r.TimestampNanos).Distinct().Count());
    }

    [Fact]
    public async Task RenewLease_ExtendsTheCurrentLease_AndRefusesAStaleToken()
    {
        await using var cluster = await CompactionCluster.StartAsync(_directory, "Compaction:L0:MaxBlocks=2", "Compaction:LeaseDuration=00:00:30");
        await cluster.AddSegmentAsync(2, DateTimeOffset.UtcNow, (Tenant, "checkout", 1));
        await cluster.AddSegmentAsync(2, DateTimeOffset.UtcNow, (Tenant, "checkout", 2));
        await cluster.PollAsync(2);
        var job = await cluster.Jobs.NextAsync();

        var renewed = await RenewAsync(cluster, job.Name, job.Token);
        Assert.True(renewed.Renewed);
        Assert.True(renewed.LeaseExpiresAt >= job.LeaseExpiresAt);
        Assert.False((await RenewAsync(cluster, job.Name, job.Token - 1)).Renewed);
        Assert.False((await RenewAsync(cluster, "no-such-job", job.Token)).Renewed);
        Assert.Equal(CompleteJobOutcome.Committed, (await cluster.Worker.RunAsync(job, TestContext.Current.CancellationToken)).Outcome);
    }

    private static Task<RenewLeaseResponse> RenewAsync(CompactionCluster cluster, string name, ulong token) =>
        cluster.Actors.InvokeAsync<RenewLeaseRequest, RenewLeaseResponse>(
            DaprNames.Actors.CompactionScheduler,
            new ActorId("2"),
            DaprNames.Actors.CompactionSchedulerRenewLease,
            new RenewLeaseRequest { Name = name, Token = token },
            TestContext.Current.CancellationToken);
}
