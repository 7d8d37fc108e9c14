using Dapr.Profiler.Model;

namespace Dapr.Profiler.Block.Tests;

public sealed class MultiTenantTests
{
    private const long Second = 1_000_000_000L;

    [Fact]
    public void Segment_KeepsTenantsApart_EvenForTheSameServiceAndLabels()
    {
        var profileA = ProfileSpec.Random(100).Build();
        var profileB = ProfileSpec.Random(200).Build();
        var seriesA = TestData.Series(profileA, "checkout", "process_cpu", 10 * Second);
        var seriesB = TestData.Series(profileB, "checkout", "process_cpu", 10 * Second);
        var seriesC = TestData.Series(profileB, "cart", "process_cpu", 20 * Second);
        var (_, reader) = TestData.WriteAndOpen(
            seriesB.Select(s => ("tenant-b", s))
                .Concat(seriesA.Select(s => ("tenant-a", s)))
                .Concat(seriesC.Select(s => ("tenant-a", s))));
        var meta = reader.Meta;

        Assert.Equal(string.Empty, meta.GetTenant());
        Assert.Equal(0u, meta.CompactionLevel);
        Assert.Equal(
            [("tenant-a", "cart"), ("tenant-a", "checkout"), ("tenant-b", "checkout")],
            meta.Datasets.Select(d => (meta.GetTenant(d), meta.GetServiceName(d))));

        foreach (var (tenant, profile) in new[] { ("tenant-a", profileA), ("tenant-b", profileB) })
        {
            var dataset = Assert.Single(meta.FindDatasets(tenant, "checkout"));
            var data = reader.OpenDataset(dataset);
            Assert.Equal(tenant, data.Tenant);
            Assert.Equal(2, data.RowCount);
            for (var i = 0; i < seriesA.Count; i++)
            {
                var type = seriesA[i].Type.Id;
                Assert.True(StackTree.FromProfile(profile, i).TreeEquals(data.BuildTree(TestData.TypeIs(type))), $"{tenant} {type}");
                Assert.Equal(TestData.Total(profile, i), data.SeriesTotals(TestData.TypeIs(type)).Sum(p => p.Total));
            }
        }

        Assert.Equal(2, meta.FindDatasets("tenant-a").Count());
        Assert.Empty(meta.FindDatasets("tenant-c"));
        var cart = reader.OpenDataset(meta.Datasets[0]);
        Assert.Equal(20_000, meta.Datasets[0].MinTime);
        Assert.Equal(10_000, meta.Datasets[1].MaxTime);
        Assert.Equal(10_000, meta.MinTime);
        Assert.Equal(20_000, meta.MaxTime);
        Assert.All(cart.Series, s => Assert.Equal("cart", s.Labels.Get(LabelNames.ServiceName)));
    }

    [Fact]
    public void CompactedBlockOfOneTenant_RecordsTheTenant()
    {
        var writer = new BlockWriter();
        foreach (var s in TestData.Series(ProfileSpec.Random(1).Build(), "svc", "process_cpu", Second))
        {
            writer.Add("tenant-a", s);
        }

        var (bytes, meta) = writer.Build(Ulid.NewUlid().ToString(), 2, 1, "compactor");
        Assert.Equal("tenant-a", meta.GetTenant());
        Assert.Equal("tenant-a", BlockReader.ReadMeta(bytes).GetTenant());
        Assert.Equal(1u, meta.CompactionLevel);
    }

    [Fact]
    public void DatasetMeta_ListsProfileTypesAndLabelValues()
    {
        var profile = ProfileSpec.Random(5).Build();
        var series = new List<ProfileSeries>();
        for (var pod = 0; pod < 5; pod++)
        {
            series.AddRange(TestData.Series(profile, "svc", "process_cpu", Second, new LabelPair("pod", $"pod-{pod}"), new LabelPair("region", "eu")));
        }

        var writer = new BlockWriter(new BlockWriterOptions { MaxMetaLabelValues = 3 });
        series.ForEach(s => writer.Add("t", s));
        var (bytes, _) = writer.Build(Ulid.NewUlid().ToString(), 0, 0, "tests");
        var meta = BlockReader.ReadMeta(bytes);
        var dataset = Assert.Single(meta.Datasets);

        Assert.Equal(series.Select(s => s.Type.Id).Distinct().Order(StringComparer.Ordinal), meta.GetProfileTypes(dataset));
        Assert.All(meta.GetLabelSets(dataset), set =>
        {
            Assert.Equal(2, set.Count);
            Assert.Equal("svc", set.Get(LabelNames.ServiceName));
        });

        var values = meta.GetLabelValues(dataset).ToDictionary(v => v.Name);
        Assert.Equal(["process_cpu"], values[LabelNames.MetricName].Values);
        Assert.Equal(["eu"], values["region"].Values);
        Assert.True(values["pod"].Truncated);
        Assert.Empty(values["pod"].Values);
        Assert.False(values.ContainsKey(LabelNames.ServiceName));
        Assert.Equal(10u, dataset.SeriesCount);
        Assert.Equal(10u, dataset.ProfileCount);
    }
}
