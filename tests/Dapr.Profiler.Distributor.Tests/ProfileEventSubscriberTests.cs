using Dapr.Profiler.Mesh;
using Dapr.Profiler.TestKit;
using Google.Protobuf;
using Microsoft.Extensions.DependencyInjection;

namespace Dapr.Profiler.Distributor.Tests;

/// <summary>The answers of the <c>profiles</c> topic subscriber, per Dapr's delivery rules, with tenancy and limits.</summary>
public sealed class ProfileEventSubscriberTests
{
    private static TopicEvent Event(Protos.Push.PushRequest push, string? tenant = null) =>
        new("e1", "test", "com.dapr.event.sent", "pubsub", "profiles", "application/octet-stream", push.ToByteArray())
        {
            Extensions = tenant is null ? null : new Dictionary<string, string> { [DaprNames.EventAttributes.Tenant] = tenant },
        };

    private static Protos.Push.PushRequest Push() =>
        IngestRequests.PushOf(([("__name__", "process_cpu"), ("service_name", "svc")], Corpus.ReadProfile("go-cpu.pb.gz")));

    [Fact]
    public async Task StorageFailure_IsRetry_AndSuccessComesOnlyAfterTheSegmentWriterAnswered()
    {
        await using var host = await DistributorHost.StartAsync();
        var subscriber = host.Services.GetRequiredService<ProfileEventSubscriber>();
        var ct = TestContext.Current.CancellationToken;

        host.Writer.Failure = _ => new ServiceException(ServiceStatus.Unavailable, "bucket down");
        Assert.Equal(TopicResult.Retry, await subscriber.HandleAsync(Event(Push()), ct));

        host.Writer.Failure = null;
        Assert.Equal(TopicResult.Success, await subscriber.HandleAsync(Event(Push()), ct));
        Assert.Contains(host.Writer.Requests, r => r.Series.Any(s => s.Labels.Any(l => l.Name == "service_name" && l.Value == "svc")));
        Assert.Empty(host.Publisher.Published);
    }

    [Fact]
    public async Task PushWithoutMetricName_GoesToTheDeadLetterTopic_WithTheReason_AndTheOriginalData()
    {
        await using var host = await DistributorHost.StartAsync();
        var subscriber = host.Services.GetRequiredService<ProfileEventSubscriber>();
        var push = IngestRequests.PushOf(([("service_name", "svc")], Corpus.ReadProfile("go-cpu.pb.gz")));

        Assert.Equal(TopicResult.Success, await subscriber.HandleAsync(Event(push), TestContext.Current.CancellationToken));
        Assert.Empty(host.Writer.Requests);
        var dead = Assert.Single(host.Publisher.Published);
        Assert.Equal(DaprNames.Topics.ProfilesDeadLetter, dead.Topic);
        Assert.Equal("e1", dead.Id);
        Assert.Equal(push.ToByteArray(), dead.Data.ToArray());
        Assert.Contains("invalid labels", dead.Extension(DaprNames.EventAttributes.DeadLetterReason), StringComparison.Ordinal);
    }

    [Fact]
    public async Task WhenTheDeadLetterTopicCannotBeReached_TheAnswerIsDrop()
    {
        await using var host = await DistributorHost.StartAsync();
        var subscriber = host.Services.GetRequiredService<ProfileEventSubscriber>();
        host.Publisher.Failure = new ServiceException(ServiceStatus.Unavailable, "broker down");

        Assert.Equal(TopicResult.Drop, await subscriber.HandleAsync(Event(Push()) with { Data = new byte[] { 0xff, 0x01 } }, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task WithMultitenancy_AnEventWithoutATenant_IsDeadLettered_AndNothingIsStored()
    {
        await using var host = await DistributorHost.StartAsync(new Dictionary<string, string?> { ["Distributor:MultitenancyEnabled"] = "true" });
        var subscriber = host.Services.GetRequiredService<ProfileEventSubscriber>();
        var ct = TestContext.Current.CancellationToken;

        Assert.Equal(TopicResult.Success, await subscriber.HandleAsync(Event(Push()), ct));
        Assert.Equal(TopicResult.Success, await subscriber.HandleAsync(Event(Push(), tenant: "bad/tenant"), ct));
        Assert.Empty(host.Writer.Requests);
        var reasons = host.Publisher.Published.Select(e => e.Extension(DaprNames.EventAttributes.DeadLetterReason)!).ToList();
        Assert.Equal(2, reasons.Count);
        Assert.Contains("'tenant' is required", reasons[0], StringComparison.Ordinal);
        Assert.Contains("Distributor:MultitenancyEnabled", reasons[0], StringComparison.Ordinal);
        Assert.Contains("bad/tenant", reasons[1], StringComparison.Ordinal);
        Assert.Equal("bad/tenant", host.Publisher.Published.Last().Extension(DaprNames.EventAttributes.Tenant));
    }

    [Fact]
    public async Task WithMultitenancy_AnEventIsStoredUnderItsTenant()
    {
        await using var host = await DistributorHost.StartAsync(new Dictionary<string, string?> { ["Distributor:MultitenancyEnabled"] = "true" });
        var subscriber = host.Services.GetRequiredService<ProfileEventSubscriber>();

        Assert.Equal(TopicResult.Success, await subscriber.HandleAsync(Event(Push(), tenant: "acme"), TestContext.Current.CancellationToken));
        Assert.NotEmpty(host.Writer.Requests);
        Assert.All(host.Writer.Requests, r => Assert.Equal("acme", r.TenantId));
    }

    [Fact]
    public async Task WithoutMultitenancy_TheTenantAttributeIsIgnored_AsTheHeaderIs()
    {
        await using var host = await DistributorHost.StartAsync();
        var subscriber = host.Services.GetRequiredService<ProfileEventSubscriber>();

        Assert.Equal(TopicResult.Success, await subscriber.HandleAsync(Event(Push(), tenant: "acme"), TestContext.Current.CancellationToken));
        Assert.All(host.Writer.Requests, r => Assert.Equal("anonymous", r.TenantId));
    }

    [Fact]
    public async Task Events_CountAgainstTheTenantsIngestionRate_AndOverItAreRetried()
    {
        await using var host = await DistributorHost.StartAsync(new Dictionary<string, string?>
        {
            ["Distributor:MultitenancyEnabled"] = "true",
            ["Distributor:IngestionRateBytesPerSecond"] = "1",
            ["Distributor:IngestionBurstBytes"] = "1024",
        });
        var subscriber = host.Services.GetRequiredService<ProfileEventSubscriber>();
        var ct = TestContext.Current.CancellationToken;

        Assert.Equal(TopicResult.Success, await subscriber.HandleAsync(Event(Push(), tenant: "acme"), ct));
        var stored = host.Writer.Requests.Count;
        Assert.Equal(TopicResult.Retry, await subscriber.HandleAsync(Event(Push(), tenant: "acme"), ct));
        Assert.Equal(stored, host.Writer.Requests.Count);

        // Another tenant has its own bucket.
        Assert.Equal(TopicResult.Success, await subscriber.HandleAsync(Event(Push(), tenant: "globex"), ct));
    }

    [Fact]
    public async Task AnEventOverTheBodyLimit_IsDeadLettered_NamingTheLimit()
    {
        await using var host = await DistributorHost.StartAsync(new Dictionary<string, string?> { ["Distributor:MaxRequestBodyBytes"] = "1024" });
        var subscriber = host.Services.GetRequiredService<ProfileEventSubscriber>();

        Assert.Equal(TopicResult.Success, await subscriber.HandleAsync(Event(Push()), TestContext.Current.CancellationToken));
        Assert.Empty(host.Writer.Requests);
        Assert.Contains("Distributor:MaxRequestBodyBytes", Assert.Single(host.Publisher.Published).Extension(DaprNames.EventAttributes.DeadLetterReason), StringComparison.Ordinal);
    }
}
