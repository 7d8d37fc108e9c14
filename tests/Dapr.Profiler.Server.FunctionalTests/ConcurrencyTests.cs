using Dapr.Profiler.Block;
using Dapr.Profiler.Server.FunctionalTests.Hosting;
using Dapr.Profiler.Server.FunctionalTests.Support;

namespace Dapr.Profiler.Server.FunctionalTests;

/// <summary>
/// Many clients at once, across tenants and services: every acknowledged profile is stored exactly once per series
/// (nothing lost, nothing duplicated), and no tenant sees another tenant's data.
/// </summary>
public sealed class ConcurrencyTests
{
    private const int Pushes = 300;
    private const int Pushers = 16;

    private static readonly string[] Tenants = ["tenant-a", "tenant-b", "tenant-c"];
    private static readonly string[] Services = ["checkout", "cart", "search", "billing", "gateway"];
    private static readonly string[] Files = ["go-cpu.pb.gz", "go-heap.pb.gz", "node-wall.pb.gz"];

    [Fact]
    public async Task ConcurrentPushers_AcrossTenants_StoreEveryProfileExactlyOnce_AndTenantsStayIsolated()
    {
        var cancel = TestContext.Current.CancellationToken;
        await using var server = await InProcessServer.StartAsync(
            "--Distributor:MultitenancyEnabled=true",
            "--SegmentWriter:SegmentDuration=00:00:00.100");

        // Tenant t uses services t, t+1 and t+2 (so "search" is shared by all three, "checkout" only by tenant-a);
        // the profile kind changes with each push.
        var profiles = Enumerable.Range(0, Pushes).Select(i =>
        {
            var tenant = i % Tenants.Length;
            var service = Services[(tenant + (i / Tenants.Length % 3)) % Services.Length];
            var file = Files[i / 9 % Files.Length];
            return new SentProfile(Tenants[tenant], service, file, Pusher.BaseTimestampNanos + (i * 1_000_000_000L));
        }).ToList();
        await Pusher.SendAllAsync(server, profiles, Pushers, sendTenantHeader: true, cancel);
        Assert.All(profiles, p => Assert.True(p.Acknowledged, $"{p}: {p.Failure}"));

        foreach (var tenant in Tenants)
        {
            var mine = profiles.Where(p => p.Tenant == tenant).ToList();
            var index = await server.QueryMetadataAsync(tenant);

            // Only this tenant's datasets come back, even from segments shared with other tenants.
            var datasets = index.Blocks.SelectMany(b => b.Datasets.Select(d => (Block: b, Dataset: d))).ToArray();
            var all = await server.QueryMetadataAsync(Tenants);
            Assert.True(
                datasets.Length > 0,
                $"QueryMetadata for {tenant} found no dataset; {index.Blocks.Count} blocks; for all tenants: {all.Blocks.Count} blocks, datasets {string.Join(", ", all.Blocks.SelectMany(b => b.Datasets.Select(d => b.GetTenant(d) + "/" + b.GetServiceName(d))))}; objects in bucket: {Bucket.SegmentObjects(server.DataDirectory).Count}");
            Assert.All(datasets, d => Assert.Equal(tenant, d.Block.GetTenant(d.Dataset)));
            Assert.Equal(
                mine.Select(p => p.Service).Distinct().Order(StringComparer.Ordinal),
                await server.LabelValuesAsync(tenant, "service_name"));
            Assert.Equal(
                mine.SelectMany(p => CorpusProfiles.ExpectedTypes(p.CorpusFile)).Distinct().Order(StringComparer.Ordinal),
                await server.ProfileTypesAsync(tenant));

            // Per service, the index counts one row per series of every acknowledged profile.
            foreach (var service in mine.Select(p => p.Service).Distinct())
            {
                var expectedRows = mine.Where(p => p.Service == service).Sum(p => CorpusProfiles.SeriesPerProfile(p.CorpusFile));
                Assert.True(
                    expectedRows == Bucket.IndexedProfileCount(index, tenant, service),
                    $"{tenant}/{service}: index counts {Bucket.IndexedProfileCount(index, tenant, service)} rows, {expectedRows} expected");
            }

            // The objects hold each (service, profile type, timestamp) exactly once.
            Pusher.AssertStoredExactly(mine, Bucket.Rows(server.DataDirectory, index, tenant), tenant);
        }

        Assert.Empty((await server.QueryMetadataAsync("tenant-nobody")).Blocks);
        Assert.Empty(await server.LabelValuesAsync("tenant-nobody", "service_name"));
    }

    [Fact]
    public async Task TenantHeader_IsIgnored_WhenMultitenancyIsOff()
    {
        var cancel = TestContext.Current.CancellationToken;
        await using var server = await InProcessServer.StartAsync("--SegmentWriter:SegmentDuration=00:00:00.100");
        var profile = Pusher.Make("someone", "single-tenant-app", "go-cpu.pb.gz", 1)[0];

        await Pusher.SendAsync(server, profile, sendTenantHeader: true, cancel);

        Assert.True(profile.Acknowledged, profile.Failure);
        Assert.Empty((await server.QueryMetadataAsync("someone")).Blocks);
        Assert.Equal(2, Bucket.IndexedProfileCount(await server.QueryMetadataAsync("anonymous"), "anonymous", "single-tenant-app"));
    }
}
