using Dapr.Profiler.TestKit;

namespace Dapr.Profiler.Distributor.Tests;

/// <summary>Tenants from <c>X-Scope-OrgID</c>, and the per-tenant ingestion rate limit.</summary>
public sealed class TenancyAndRateLimitTests
{
    private const string Url = "/ingest?format=pprof&name=app";

    [Fact]
    public async Task MultitenancyOff_IgnoresTheHeaderAndAuthorization()
    {
        await using var host = await DistributorHost.StartAsync();
        var request = IngestRequests.Ingest(Url, IngestRequests.Bytes(Corpus.ReadProfile("go-cpu.pb.gz")), tenant: "team-a");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "secret-token");

        var answer = await host.SendAsync(request);

        Assert.Equal(200, answer.Status);
        Assert.Equal("anonymous", Assert.Single(host.Writer.Requests).TenantId);
    }

    [Fact]
    public async Task MultitenancyOn_StoresUnderTheHeaderTenant()
    {
        await using var host = await DistributorHost.StartAsync(new Dictionary<string, string?> { ["Distributor:MultitenancyEnabled"] = "true" });
        var ingest = await host.SendAsync(IngestRequests.Ingest(Url, IngestRequests.Bytes(Corpus.ReadProfile("go-cpu.pb.gz")), tenant: "team-a"));
        var push = await host.SendAsync(IngestRequests.Push(
            IngestRequests.PushOf(([("__name__", "process_cpu")], Corpus.ReadProfile("go-cpu.pb.gz"))), tenant: "Team_B.(prod)*'!"));

        Assert.Equal(200, ingest.Status);
        Assert.Equal(200, push.Status);
        Assert.Equal(["Team_B.(prod)*'!", "team-a"], host.Writer.Requests.Select(p => p.TenantId).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task RateLimit_WhenATenantExceedsIt_Answers429NamingTheLimit_AndOtherTenantsAreNotAffected()
    {
        await using var host = await DistributorHost.StartAsync(new Dictionary<string, string?>
        {
            ["Distributor:MultitenancyEnabled"] = "true",
            ["Distributor:IngestionRateBytesPerSecond"] = "1",
            ["Distributor:IngestionBurstBytes"] = "6000",
        });
        var profile = Corpus.ReadProfile("go-cpu.pb.gz");

        var first = await host.SendAsync(IngestRequests.Ingest(Url, IngestRequests.Bytes(profile), tenant: "noisy"));
        var second = await host.SendAsync(IngestRequests.Ingest(Url, IngestRequests.Bytes(profile), tenant: "noisy"));
        var pushed = await host.SendAsync(IngestRequests.Push(IngestRequests.PushOf(([("__name__", "process_cpu")], profile)), tenant: "noisy"));
        var other = await host.SendAsync(IngestRequests.Ingest(Url, IngestRequests.Bytes(profile), tenant: "quiet"));

        Assert.Equal(200, first.Status);
        Assert.Equal(429, second.Status);
        Assert.Equal("resource_exhausted", second.Code);
        Assert.Contains("Distributor:IngestionRateBytesPerSecond", second.Message, StringComparison.Ordinal);
        Assert.Contains("tenant 'noisy'", second.Message, StringComparison.Ordinal);
        Assert.Equal(429, pushed.Status);
        Assert.Equal("resource_exhausted", pushed.Code);
        Assert.Equal(200, other.Status);
        Assert.Equal(2, host.Writer.Requests.Count);
        Assert.Contains(host.Logs.Entries, e => e.EventId.Id == 4011);
    }

    [Fact]
    public async Task RateLimit_OfZero_IsDisabled()
    {
        await using var host = await DistributorHost.StartAsync(new Dictionary<string, string?>
        {
            ["Distributor:IngestionRateBytesPerSecond"] = "0",
            ["Distributor:IngestionBurstBytes"] = "1",
        });

        for (var i = 0; i < 3; i++)
        {
            var answer = await host.SendAsync(IngestRequests.Ingest(Url, IngestRequests.Bytes(Corpus.ReadProfile("go-cpu.pb.gz"))));
            Assert.Equal(200, answer.Status);
        }
    }
}
