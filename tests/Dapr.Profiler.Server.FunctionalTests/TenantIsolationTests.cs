using System.Globalization;
using System.Text.Json;
using Dapr.Profiler.Server.FunctionalTests.Hosting;
using Dapr.Profiler.Server.FunctionalTests.Support;
using Dapr.Profiler.TestKit;

namespace Dapr.Profiler.Server.FunctionalTests;

/// <summary>
/// Multitenancy on (distributor and query-frontend): two tenants push profiles, both with a service called
/// <c>shared</c>, and each tenant's queries (every querier.v1 method and the render API) show only its own
/// services, label names and values, profile types, totals and times.
/// </summary>
public sealed class TenantIsolationTests(TenantIsolationTests.TwoTenants tenants) : IClassFixture<TenantIsolationTests.TwoTenants>
{
    private const string Cpu = "process_cpu:cpu:nanoseconds:cpu:nanoseconds";
    private const string InuseSpace = "memory:inuse_space:bytes:space:bytes";

    /// <summary>Per tenant: service, corpus file, seconds after <see cref="Pusher.BaseTimestampNanos"/>, and its own label.</summary>
    private static readonly Dictionary<string, (string Service, string File, int Second, string Env)[]> Pushes = new(StringComparer.Ordinal)
    {
        ["tenant-a"] = [("shop-a", "go-cpu.pb.gz", 1, "prod-a"), ("shared", "go-cpu-2.pb.gz", 2, "prod-a"), ("shop-a", "go-cpu-3.pb.gz", 3, "prod-a")],
        ["tenant-b"] = [("shop-b", "go-heap.pb.gz", 11, "prod-b"), ("shared", "go-cpu-4.pb.gz", 12, "prod-b")],
    };

    public static TheoryData<string> Tenants => [.. Pushes.Keys];

    [Theory]
    [MemberData(nameof(Tenants))]
    public async Task MetadataQueries_ShowOnlyTheTenantsOwnServicesLabelsAndTypes(string tenant)
    {
        var querier = new Querier(tenants.Server, tenant);
        var (start, end) = (tenants.StartMs, tenants.EndMs);
        var mine = Pushes[tenant];
        var other = Pushes.Single(p => p.Key != tenant).Value;

        Assert.Equal(ExpectedTypes(mine), (await querier.ProfileTypesAsync(start, end)).Order(StringComparer.Ordinal));
        Assert.Equal(mine.Select(p => p.Service).Distinct().Order(StringComparer.Ordinal), await querier.LabelValuesAsync("service_name", "{}", start, end));
        Assert.Equal([mine[0].Env], await querier.LabelValuesAsync("env", "{}", start, end));
        Assert.Equal([mine[0].Env], await querier.LabelValuesAsync("env", "{service_name=\"shared\"}", start, end));
        Assert.Equal([tenant], await querier.LabelValuesAsync("owner", "{}", start, end));
        var names = await querier.LabelNamesAsync("{}", start, end);
        Assert.Contains(OwnLabel(tenant), names);
        Assert.DoesNotContain(OwnLabel(Pushes.Keys.Single(t => t != tenant)), names);

        var series = await querier.SeriesAsync([], "{}", start, end);
        Assert.NotEmpty(series);
        Assert.All(series, s => Assert.Contains($"env={mine[0].Env}", s, StringComparison.Ordinal));
        Assert.All(series, s => Assert.DoesNotContain(other[0].Env, s, StringComparison.Ordinal));

        var stats = await querier.ProfileStatsAsync();
        Assert.True(stats.DataIngested);
        Assert.Equal(TimeMs(mine.Min(p => p.Second)), stats.OldestProfileTime);
        Assert.Equal(TimeMs(mine.Max(p => p.Second)), stats.NewestProfileTime);

        var labelValues = await querier.GetAsync(FormattableString.Invariant($"/pyroscope/label-values?label=service_name&from={start}&until={end}"));
        Assert.True(labelValues.StatusCode == 200, labelValues.ToString());
        Assert.Equal(mine.Select(p => p.Service).Distinct().Order(StringComparer.Ordinal), JsonSerializer.Deserialize<string[]>(labelValues.Body)!.Order(StringComparer.Ordinal));
        var types = await querier.GetAsync(FormattableString.Invariant($"/pyroscope/label-values?label=__name__&from={start}&until={end}"));
        Assert.Equal(ExpectedTypes(mine), JsonSerializer.Deserialize<string[]>(types.Body)!.Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Tenants))]
    public async Task ProfileQueries_ShowOnlyTheTenantsOwnValues(string tenant)
    {
        var querier = new Querier(tenants.Server, tenant);
        var (start, end) = (tenants.StartMs, tenants.EndMs);
        var mine = Pushes[tenant];
        var cpuTotal = Total(mine, "cpu");
        var sharedTotal = Total(mine.Where(p => p.Service == "shared"), "cpu");
        Assert.True(cpuTotal > 0 && sharedTotal > 0);

        Assert.Equal(cpuTotal, (await querier.MergeAsync(Cpu, "{}", start, end)).Total);
        Assert.Equal(sharedTotal, (await querier.MergeAsync(Cpu, "{service_name=\"shared\"}", start, end)).Total);
        Assert.Equal(Total(mine, "inuse_space"), (await querier.MergeAsync(InuseSpace, "{}", start, end)).Total);
        foreach (var service in Pushes.Single(p => p.Key != tenant).Value.Select(p => p.Service).Where(s => s != "shared"))
        {
            Assert.Equal(0, (await querier.MergeAsync(Cpu, $"{{service_name=\"{service}\"}}", start, end)).Total);
            Assert.Equal(0, (await querier.MergeAsync(InuseSpace, $"{{service_name=\"{service}\"}}", start, end)).Total);
        }

        var profile = await querier.MergeProfileAsync(Cpu, "{}", start, end);
        Assert.Equal(cpuTotal, profile.Sample.Sum(s => s.Value.Sum()));

        var series = await querier.SelectSeriesAsync(Cpu, "{}", start, end, 1, "service_name");
        Assert.Equal(
            mine.Where(p => p.File.StartsWith("go-cpu", StringComparison.Ordinal)).Select(p => p.Service).Distinct().Order(StringComparer.Ordinal),
            series.Series.Select(s => s.Labels.Single(l => l.Name == "service_name").Value).Order(StringComparer.Ordinal));
        Assert.Equal(cpuTotal, Querier.PointSum(series));

        var diff = await querier.DiffAsync(Querier.MergeRequest(Cpu, "{}", start, end), Querier.MergeRequest(Cpu, "{service_name=\"shared\"}", start, end));
        Assert.Equal((cpuTotal, sharedTotal), (diff.LeftTicks, diff.RightTicks));

        var render = await querier.RenderAsync(Cpu, "{}", start, end);
        Assert.Equal(cpuTotal, render.GetProperty("flamebearer").GetProperty("numTicks").GetInt64());
        var renderHeap = await querier.RenderAsync(InuseSpace, "{}", start, end);
        Assert.Equal(Total(mine, "inuse_space"), renderHeap.GetProperty("flamebearer").GetProperty("numTicks").GetInt64());

        var cpuQuery = Uri.EscapeDataString(Cpu + "{}");
        var sharedQuery = Uri.EscapeDataString(Cpu + "{service_name=\"shared\"}");
        var renderDiff = await querier.GetAsync(FormattableString.Invariant(
            $"/pyroscope/render-diff?leftQuery={cpuQuery}&leftFrom={start}&leftUntil={end}&rightQuery={sharedQuery}&rightFrom={start}&rightUntil={end}"));
        Assert.True(renderDiff.StatusCode == 200, renderDiff.ToString());
        using var doc = JsonDocument.Parse(renderDiff.Body);
        Assert.Equal(cpuTotal, doc.RootElement.GetProperty("leftTicks").GetInt64());
        Assert.Equal(sharedTotal, doc.RootElement.GetProperty("rightTicks").GetInt64());
    }

    [Fact]
    public async Task ATenantWithoutData_SeesNothing_AndNoTenantIsRefused()
    {
        var (start, end) = (tenants.StartMs, tenants.EndMs);
        var stranger = new Querier(tenants.Server, "tenant-c");
        Assert.Empty(await stranger.ProfileTypesAsync(start, end));
        Assert.Empty(await stranger.LabelValuesAsync("service_name", "{}", start, end));
        Assert.Empty(await stranger.SeriesAsync([], "{}", start, end));
        Assert.Equal(0, (await stranger.MergeAsync(Cpu, "{}", start, end)).Total);
        Assert.Empty((await stranger.SelectSeriesAsync(Cpu, "{}", start, end, 15)).Series);
        Assert.False((await stranger.ProfileStatsAsync()).DataIngested);
        Assert.Equal(0, (await stranger.RenderAsync(Cpu, "{}", start, end)).GetProperty("flamebearer").GetProperty("numTicks").GetInt64());

        var anonymous = new Querier(tenants.Server);
        var query = await anonymous.PostAsync("ProfileTypes", new Protos.Querier.ProfileTypesRequest { Start = start, End = end });
        Assert.True(query.StatusCode == 401 && query.Code == "unauthenticated", query.ToString());
        var render = await anonymous.GetAsync(Querier.RenderPath(Cpu, "{}", start, end));
        Assert.True(render.StatusCode == 401, render.ToString());
        var push = await tenants.Server.SendAsync(IngestRequests.Ingest("/ingest?format=pprof&name=nobody", IngestRequests.Bytes(Corpus.ReadProfile("go-cpu.pb.gz"))), TestContext.Current.CancellationToken);
        Assert.True(push.StatusCode == 401, push.ToString());
    }

    /// <summary>A label name only this tenant's profiles have (<c>tenant_a</c>).</summary>
    private static string OwnLabel(string tenant) => tenant.Replace('-', '_');

    private static long TimeMs(int second) => (Pusher.BaseTimestampNanos / 1_000_000) + (second * 1000L);

    private static long Total(IEnumerable<(string Service, string File, int Second, string Env)> pushes, string sampleType) =>
        pushes.Sum(p => Corpus.Expect(p.File).Totals.GetValueOrDefault(sampleType));

    private static string[] ExpectedTypes(IEnumerable<(string Service, string File, int Second, string Env)> pushes) =>
        pushes.SelectMany(p => CorpusProfiles.ExpectedTypes(p.File)).Distinct().Order(StringComparer.Ordinal).ToArray();

    /// <summary>A multitenant server with both tenants' profiles (raw pprof with format=pprof and X-Scope-OrgID).</summary>
    public sealed class TwoTenants : IAsyncLifetime
    {
        private InProcessServer? _server;

        public InProcessServer Server => _server ?? throw new InvalidOperationException("not started");

        public long StartMs { get; } = (Pusher.BaseTimestampNanos / 1_000_000) - 60_000;

        public long EndMs => StartMs + 120_000;

        public async ValueTask InitializeAsync()
        {
            _server = await InProcessServer.StartAsync("--Distributor:MultitenancyEnabled=true", "--QueryFrontend:MultitenancyEnabled=true");
            foreach (var (tenant, pushes) in Pushes)
            {
                foreach (var (service, file, second, env) in pushes)
                {
                    var body = CorpusProfiles.WithTimestamp(file, Pusher.BaseTimestampNanos + (second * 1_000_000_000L));
                    var name = Uri.EscapeDataString(string.Create(CultureInfo.InvariantCulture, $"{service}{{env={env},owner={tenant},{OwnLabel(tenant)}=yes}}"));
                    await _server.SendOkAsync(IngestRequests.Ingest($"/ingest?format=pprof&name={name}&spyName=gospy", IngestRequests.Bytes(body), tenant));
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (_server is not null)
            {
                await _server.DisposeAsync();
            }
        }
    }
}
