using Dapr.Profiler.Mesh;
using Dapr.Profiler.TestKit;
using Google.Protobuf;
using Microsoft.Extensions.DependencyInjection;

namespace Dapr.Profiler.Distributor.Tests;

/// <summary>The answers of the <c>profiles</c> topic subscriber, per Dapr's delivery rules.</summary>
public sealed class ProfileEventSubscriberTests
{
    private static TopicEvent Event(Protos.Push.PushRequest push) =>
        new("e1", "test", "com.dapr.event.sent", "pubsub", "profiles", "application/octet-stream", push.ToByteArray());

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
    }

    [Fact]
    public async Task PushWithoutMetricName_IsDropped()
    {
        await using var host = await DistributorHost.StartAsync();
        var subscriber = host.Services.GetRequiredService<ProfileEventSubscriber>();
        var push = IngestRequests.PushOf(([("service_name", "svc")], Corpus.ReadProfile("go-cpu.pb.gz")));

        Assert.Equal(TopicResult.Drop, await subscriber.HandleAsync(Event(push), TestContext.Current.CancellationToken));
        Assert.Empty(host.Writer.Requests);
    }
}
