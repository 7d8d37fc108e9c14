using Dapr.Profiler.Block;
using Dapr.Profiler.Protos.Block;
using Dapr.Profiler.Protos.Metastore;

namespace Dapr.Profiler.Metastore.Tests;

public sealed class QueryMetadataTests : MetastoreTestBase
{
    private static readonly long Now = TestBlocks.Ms(TestBlocks.Now);
    private static readonly long Hour = (long)TimeSpan.FromHours(1).TotalMilliseconds;

    [Fact]
    public async Task AddBlock_ThenQuery_FindsItByTenantTimeAndSelector()
    {
        var service = new MetastoreService(await OpenAsync());
        var block = TestBlocks.Create(
            new DatasetSpec("acme", "api", Now - 1000, Now),
            new DatasetSpec("acme", "web", Now - 1000, Now) { ProfileTypes = [DatasetSpec.Alloc] });
        await service.AddBlockAsync(new AddBlockRequest { Block = block }, Token);

        var all = await QueryAsync(service, ["acme"], Now - Hour, Now, "");
        var api = await QueryAsync(service, ["acme"], Now - Hour, Now, "{service_name=\"api\"}");
        var alloc = await QueryAsync(service, ["acme"], Now - Hour, Now, $"{{__profile_type__=\"{DatasetSpec.Alloc}\"}}");
        var byName = await QueryAsync(service, ["acme"], Now - Hour, Now, "{__name__=\"memory\"}");
        var otherTenant = await QueryAsync(service, ["other"], Now - Hour, Now, "");
        var before = await QueryAsync(service, ["acme"], Now - (2 * Hour), Now - 1001, "");
        var missing = await QueryAsync(service, ["acme"], Now - Hour, Now, "{service_name=\"nope\"}");

        Assert.Equal(["api", "web"], Services(Assert.Single(all.Blocks)));
        Assert.Equal(["api"], Services(Assert.Single(api.Blocks)));
        Assert.Equal(["web"], Services(Assert.Single(alloc.Blocks)));
        Assert.Equal(["web"], Services(Assert.Single(byName.Blocks)));
        Assert.Empty(otherTenant.Blocks);
        Assert.Empty(before.Blocks);
        Assert.Empty(missing.Blocks);
    }

    [Fact]
    public async Task MultiTenantSegment_ShowsOnlyTheAskedTenantsDatasets_WithAConsistentStringTable()
    {
        var service = new MetastoreService(await OpenAsync());
        var block = TestBlocks.Create(
            new DatasetSpec("t1", "a", Now - 10, Now) { LabelValues = [("pod", ["p1"], false)] },
            new DatasetSpec("t2", "b", Now - 10, Now) { LabelValues = [("pod", ["p2"], false)] },
            new DatasetSpec("t3", "c", Now - 10, Now));
        await service.AddBlockAsync(new AddBlockRequest { Block = block }, Token);

        var t2 = Assert.Single((await QueryAsync(service, ["t2"], Now - Hour, Now, "")).Blocks);
        var t1t3 = Assert.Single((await QueryAsync(service, ["t1", "t3"], Now - Hour, Now, "")).Blocks);

        Assert.Equal(block.Id, t2.Id);
        Assert.Equal(string.Empty, t2.GetTenant());
        var dataset = Assert.Single(t2.Datasets);
        Assert.Equal("t2", t2.GetTenant(dataset));
        Assert.Equal("b", t2.GetServiceName(dataset));
        Assert.Equal(DatasetSpec.Cpu, Assert.Single(t2.GetProfileTypes(dataset)));
        Assert.Equal(["p2"], Assert.Single(t2.GetLabelValues(dataset)).Values);
        Assert.Equal("test-host", t2.GetCreatedBy());
        Assert.DoesNotContain("t1", t2.StringTable);
        Assert.DoesNotContain("p1", t2.StringTable);
        Assert.Equal(["a", "c"], Services(t1t3));
    }

    [Fact]
    public async Task Backfill_WeekOldData_IsFoundForThatWeekAndNotForToday()
    {
        var service = new MetastoreService(await OpenAsync());
        var weekAgo = Now - (7 * 24 * Hour);

        // Created now (the id's time), holding data of a week ago: indexed by data time, not by creation time.
        var block = TestBlocks.Create(new DatasetSpec("acme", "batch", weekAgo, weekAgo + (2 * Hour)));
        await service.AddBlockAsync(new AddBlockRequest { Block = block }, Token);

        var thatWeek = await QueryAsync(service, ["acme"], weekAgo - (24 * Hour), weekAgo + (24 * Hour), "");
        var inside = await QueryAsync(service, ["acme"], weekAgo + Hour + 1, weekAgo + Hour + 2, "");
        var today = await QueryAsync(service, ["acme"], Now - (24 * Hour), Now, "");

        Assert.Equal(block.Id, Assert.Single(thatWeek.Blocks).Id);
        Assert.Equal(block.Id, Assert.Single(inside.Blocks).Id);
        Assert.Empty(today.Blocks);
    }

    [Fact]
    public async Task WideDataset_IsFoundByQueriesAnywhereInItsRange_WithoutBloatingThePartitions()
    {
        var node = await OpenAsync();
        var service = new MetastoreService(node);
        var yearAgo = Now - (365L * 24 * Hour);
        var block = TestBlocks.Create(new DatasetSpec("acme", "forever", yearAgo, Now));
        await service.AddBlockAsync(new AddBlockRequest { Block = block }, Token);

        var middle = await QueryAsync(service, ["acme"], Now - (100 * 24 * Hour), Now - (100 * 24 * Hour) + 1, "");
        var after = await QueryAsync(service, ["acme"], Now + 1, Now + Hour, "");
        var (partitions, wide) = await node.ReadAsync(i => (i.PartitionCount, i.WideDatasetCount), Token);

        Assert.Single(middle.Blocks);
        Assert.Empty(after.Blocks);
        Assert.Equal(0, partitions);
        Assert.Equal(1, wide);
    }

    [Fact]
    public async Task Selector_OnOtherLabels_UsesLabelValues_AbsentMeansEmpty_TruncatedMayMatch()
    {
        var service = new MetastoreService(await OpenAsync());
        await service.AddBlockAsync(new AddBlockRequest
        {
            Block = TestBlocks.Create(
                new DatasetSpec("acme", "listed", Now - 10, Now) { LabelValues = [("pod", ["web-1", "web-2"], false)] },
                new DatasetSpec("acme", "truncated", Now - 10, Now) { LabelValues = [("pod", [], true)] },
                new DatasetSpec("acme", "without", Now - 10, Now)),
        }, Token);

        async Task<string[]> Services(string selector) =>
            [.. (await QueryAsync(service, ["acme"], Now - Hour, Now, selector)).Blocks.SelectMany(QueryMetadataTests.Services)];

        Assert.Equal(["listed", "truncated"], await Services("{pod=\"web-2\"}"));
        Assert.Equal(["listed", "truncated"], await Services("{pod=~\"web-.*\"}"));
        Assert.Equal(["truncated"], await Services("{pod=\"db-1\"}"));
        Assert.Equal(["listed", "truncated", "without"], await Services("{pod=\"\"}"));
        Assert.Equal(["without"], await Services("{pod=\"\", service_name=\"without\"}"));
    }

    [Fact]
    public async Task RealSegment_FromBlockWriter_IsQueryableByTenantAndSelector()
    {
        var service = new MetastoreService(await OpenAsync());
        var time = TestBlocks.Now;
        var writer = new BlockWriter();
        writer.Add("tenant-a", RealProfiles.Series("checkout", time, ("pod", "c-1")));
        writer.Add("tenant-a", RealProfiles.Series("cart", time, ("pod", "k-1")));
        writer.Add("tenant-b", RealProfiles.Series("checkout", time, ("pod", "b-1")));
        var (_, meta) = writer.Build(Ulid.NewUlid(time).ToString(), shard: 3, compactionLevel: 0, createdBy: "segment-writer-0");
        await service.AddBlockAsync(new AddBlockRequest { Block = meta }, Token);

        var a = Assert.Single((await QueryAsync(service, ["tenant-a"], Now - Hour, Now + Hour, "{service_name=\"checkout\", pod=\"c-1\"}")).Blocks);
        var wrongPod = await QueryAsync(service, ["tenant-a"], Now - Hour, Now + Hour, "{service_name=\"checkout\", pod=\"b-1\"}");
        var b = Assert.Single((await QueryAsync(service, ["tenant-b"], Now - Hour, Now + Hour, "")).Blocks);

        Assert.Equal(["checkout"], Services(a));
        Assert.Equal(3u, a.Shard);
        Assert.Equal(meta.Datasets.First(d => meta.GetServiceName(d) == "checkout" && meta.GetTenant(d) == "tenant-a").Offset, a.Datasets[0].Offset);
        Assert.Empty(wrongPod.Blocks);
        Assert.Equal(["checkout"], Services(b));
    }

    [Fact]
    public async Task InvalidRequests_AreRejectedAsInvalidArgument()
    {
        var service = new MetastoreService(await OpenAsync());
        var bad = TestBlocks.Create(new DatasetSpec("acme", "api", Now, Now));
        bad.Datasets[0].Name = 999;

        await Assert.ThrowsAsync<MetastoreInvalidRequestException>(() => service.AddBlockAsync(new AddBlockRequest { Block = bad }, Token));
        await Assert.ThrowsAsync<MetastoreInvalidRequestException>(() => service.AddBlockAsync(new AddBlockRequest(), Token));
        await Assert.ThrowsAsync<MetastoreInvalidRequestException>(() => QueryAsync(service, [], 0, 1, ""));
        await Assert.ThrowsAsync<MetastoreInvalidRequestException>(() => QueryAsync(service, ["acme"], 2, 1, ""));
        await Assert.ThrowsAsync<MetastoreInvalidRequestException>(() => QueryAsync(service, ["acme"], 0, 1, "{service_name=}"));
    }

    [Fact]
    public async Task OversizedMetadata_IsRejected_WithoutTouchingTheIndex()
    {
        var options = NewOptions();
        options.LogPageSizeBytes = 64 * 1024;
        options.LogSegmentSizeBytes = 64 * 1024;
        var service = new MetastoreService(await OpenAsync(options));
        var values = Enumerable.Range(0, 5000).Select(i => $"pod-with-a-long-name-{i}").ToArray();
        var huge = TestBlocks.Create(new DatasetSpec("acme", "api", Now, Now) { LabelValues = [("pod", values, false)] });

        var error = await Assert.ThrowsAsync<MetastoreInvalidRequestException>(() => service.AddBlockAsync(new AddBlockRequest { Block = huge }, Token));

        Assert.Contains(nameof(MetastoreOptions.LogPageSizeBytes), error.Message, StringComparison.Ordinal);
        Assert.Empty((await QueryAsync(service, ["acme"], 0, long.MaxValue, "")).Blocks);
    }

    internal static Task<QueryMetadataResponse> QueryAsync(MetastoreService service, string[] tenants, long start, long end, string query)
    {
        var request = new QueryMetadataRequest { StartTime = start, EndTime = end, Query = query };
        request.TenantId.Add(tenants);
        return service.QueryMetadataAsync(request, TestContext.Current.CancellationToken);
    }

    internal static string[] Services(BlockMeta block) => [.. block.Datasets.Select(block.GetServiceName)];
}
