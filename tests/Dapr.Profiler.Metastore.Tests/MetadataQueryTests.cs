using Dapr.Profiler.Protos.Metastore;

namespace Dapr.Profiler.Metastore.Tests;

public sealed class MetadataQueryTests : MetastoreTestBase
{
    private static readonly long Now = TestBlocks.Ms(TestBlocks.Now);
    private static readonly long Day = (long)TimeSpan.FromDays(1).TotalMilliseconds;

    private async Task<MetastoreService> SeedAsync()
    {
        var service = new MetastoreService(await OpenAsync());
        await service.AddBlockAsync(new AddBlockRequest
        {
            Block = TestBlocks.Create(
                new DatasetSpec("acme", "api", Now - 1000, Now)
                {
                    ProfileTypes = [DatasetSpec.Cpu, DatasetSpec.Alloc],
                    LabelValues = [("pod", ["api-1", "api-2"], false), ("region", ["eu"], false)],
                },
                new DatasetSpec("acme", "web", Now - 2000, Now - 1500)
                {
                    LabelValues = [("pod", [], true), ("version", ["1.2"], false)],
                },
                new DatasetSpec("other", "secret", Now - 1000, Now) { LabelValues = [("team", ["x"], false)] }),
        }, Token);
        await service.AddBlockAsync(new AddBlockRequest
        {
            Block = TestBlocks.Create(new DatasetSpec("acme", "old", Now - (3 * Day), Now - (3 * Day) + 10)),
        }, Token);
        return service;
    }

    private static MetadataQueryRequest Query(long start, long end, params string[] matchers)
    {
        var request = new MetadataQueryRequest { StartTime = start, EndTime = end };
        request.TenantId.Add("acme");
        request.Matchers.Add(matchers);
        return request;
    }

    [Fact]
    public async Task ProfileTypes_AreDistinctSortedAndParsed()
    {
        var service = await SeedAsync();

        var all = await service.ProfileTypesAsync(Query(Now - Day, Now), Token);
        var web = await service.ProfileTypesAsync(Query(Now - Day, Now, "{service_name=\"web\"}"), Token);

        Assert.Equal([DatasetSpec.Alloc, DatasetSpec.Cpu], all.ProfileTypes.Select(t => t.ID));
        var alloc = all.ProfileTypes[0];
        Assert.Equal(("memory", "alloc_space", "bytes", "space", "bytes"), (alloc.Name, alloc.SampleType, alloc.SampleUnit, alloc.PeriodType, alloc.PeriodUnit));
        Assert.Equal([DatasetSpec.Cpu], web.ProfileTypes.Select(t => t.ID));
    }

    [Fact]
    public async Task LabelNames_IncludeDerivedNamesAndDatasetLabels_OfMatchingDatasetsOnly()
    {
        var service = await SeedAsync();

        var all = await service.LabelNamesAsync(Query(Now - Day, Now), Token);
        var api = await service.LabelNamesAsync(Query(Now - Day, Now, "{service_name=\"api\"}"), Token);

        Assert.Equal(
            ["__name__", "__period_type__", "__period_unit__", "__profile_type__", "__service_name__", "__type__", "__unit__", "pod", "region", "service_name", "version"],
            all.Names);
        Assert.DoesNotContain("version", api.Names);
        Assert.DoesNotContain("team", all.Names);
    }

    [Fact]
    public async Task LabelValues_AreExactForDerivedNames_AndFlagTruncatedLists()
    {
        var service = await SeedAsync();

        async Task<LabelValuesResponse> Values(string name, params string[] matchers) =>
            await service.LabelValuesAsync(new LabelValuesRequest { Name = name, Query = Query(Now - Day, Now, matchers) }, Token);

        var services = await Values("service_name");
        var allTime = await service.LabelValuesAsync(new LabelValuesRequest { Name = "service_name", Query = Query(0, Now) }, Token);
        var cpuServices = await Values("service_name", $"{{__profile_type__=\"{DatasetSpec.Alloc}\"}}");
        var names = await Values("__name__");
        var pods = await Values("pod");
        var apiPods = await Values("pod", "{service_name=\"api\"}");
        var regions = await Values("region", "{service_name=\"web\"}");

        Assert.Equal(["api", "web"], services.Names);
        Assert.Equal(["api", "old", "web"], allTime.Names);
        Assert.Equal(["api"], cpuServices.Names);
        Assert.Equal(["memory", "process_cpu"], names.Names);
        Assert.Equal(["api-1", "api-2"], pods.Names);
        Assert.True(pods.Truncated);
        Assert.Equal(["api-1", "api-2"], apiPods.Names);
        Assert.False(apiPods.Truncated);
        Assert.Empty(regions.Names);
    }

    [Fact]
    public async Task SeriesLabels_ProjectTheLabelSetsOnTheAskedNames()
    {
        var service = await SeedAsync();
        var request = new SeriesLabelsRequest { Query = Query(Now - Day, Now) };
        request.LabelNames.Add(["service_name", "__profile_type__"]);

        var projected = await service.SeriesLabelsAsync(request, Token);
        var full = await service.SeriesLabelsAsync(new SeriesLabelsRequest { Query = Query(Now - Day, Now, "{service_name=\"web\"}") }, Token);

        Assert.Equal(
            [
                $"__profile_type__={DatasetSpec.Alloc},service_name=api",
                $"__profile_type__={DatasetSpec.Cpu},service_name=api",
                $"__profile_type__={DatasetSpec.Cpu},service_name=web",
            ],
            projected.LabelsSet.Select(l => string.Join(',', l.Labels_.Select(p => $"{p.Name}={p.Value}"))));
        var web = Assert.Single(full.LabelsSet);
        Assert.Contains(web.Labels_, p => p.Name == "__name__" && p.Value == "process_cpu");
        Assert.Contains(web.Labels_, p => p.Name == "__service_name__" && p.Value == "web");
    }

    [Fact]
    public async Task TenantStats_ReportOldestAndNewestDataTime()
    {
        var service = await SeedAsync();

        var acme = await service.TenantStatsAsync(new TenantStatsRequest { TenantId = "acme" }, Token);
        var other = await service.TenantStatsAsync(new TenantStatsRequest { TenantId = "other" }, Token);
        var none = await service.TenantStatsAsync(new TenantStatsRequest { TenantId = "none" }, Token);

        Assert.True(acme.DataIngested);
        Assert.Equal(Now - (3 * Day), acme.OldestProfileTime);
        Assert.Equal(Now, acme.NewestProfileTime);
        Assert.True(other.DataIngested);
        Assert.False(none.DataIngested);
    }

    [Fact]
    public async Task EqualQueries_GetByteEqualAnswers()
    {
        var service = await SeedAsync();
        var first = await service.LabelNamesAsync(Query(0, Now, "{service_name=~\".*\"}", "{pod=\"api-1\"}"), Token);
        var second = await service.LabelNamesAsync(Query(0, Now, "{service_name=~\".*\"}", "{pod=\"api-1\"}"), Token);
        Assert.Equal(first, second);
    }
}
