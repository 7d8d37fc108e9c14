using Dapr.Profiler.Distributor;
using Dapr.Profiler.Mesh;
using Dapr.Profiler.Server.FunctionalTests.Hosting;
using Dapr.Profiler.Server.FunctionalTests.Support;
using Dapr.Profiler.TestKit;
using Google.Protobuf;
using Microsoft.Extensions.DependencyInjection;

namespace Dapr.Profiler.Server.FunctionalTests;

/// <summary>Profiles published to the <c>profiles</c> topic are ingested like HTTP pushes.</summary>
public sealed class EventIngestTests
{
    private static Protos.Push.PushRequest Push(string service, string file) => IngestRequests.PushOf(
        ([("__name__", "process_cpu"), ("service_name", service)], Corpus.ReadProfile(file)));

    [Fact]
    public async Task PublishedPushRequest_BinaryAndJson_BecomeQueryable()
    {
        await using var server = await InProcessServer.StartAsync();
        var publisher = server.Services.GetRequiredService<IPublisher>();
        var ct = TestContext.Current.CancellationToken;

        await publisher.PublishAsync(DaprNames.Components.PubSub, DaprNames.Topics.Profiles, Push("event-binary", "go-cpu.pb.gz").ToByteArray(), "application/octet-stream", ct);
        var json = System.Text.Encoding.UTF8.GetBytes(JsonFormatter.Default.Format(Push("event-json", "go-cpu-2.pb.gz")));
        await publisher.PublishAsync(DaprNames.Components.PubSub, DaprNames.Topics.Profiles, json, "application/json", ct);

        var deadline = DateTime.UtcNow.AddSeconds(30);
        IReadOnlyList<string> services = [];
        while (DateTime.UtcNow < deadline)
        {
            services = await server.LabelValuesAsync("anonymous", "service_name");
            if (services.Contains("event-binary") && services.Contains("event-json"))
            {
                break;
            }

            await Task.Delay(50, ct);
        }

        Assert.Contains("event-binary", services);
        Assert.Contains("event-json", services);
        var types = await server.ProfileTypesAsync("anonymous", "{service_name=\"event-binary\"}");
        Assert.Contains("process_cpu:cpu:nanoseconds:cpu:nanoseconds", types);
    }

    [Fact]
    public async Task Subscriber_DropsInvalidEvents_AndTheServerStaysUp()
    {
        await using var server = await InProcessServer.StartAsync();
        var subscriber = server.Services.GetRequiredService<ProfileEventSubscriber>();
        var ct = TestContext.Current.CancellationToken;
        TopicEvent Event(byte[] data, string contentType) => new("id-1", "test", "com.dapr.event.sent", "pubsub", "profiles", contentType, data);

        Assert.Equal(TopicResult.Drop, await subscriber.HandleAsync(Event([0xff, 0x00, 0x13], "application/octet-stream"), ct));
        Assert.Equal(TopicResult.Drop, await subscriber.HandleAsync(Event("{not json"u8.ToArray(), "application/json"), ct));
        var malformedProfile = IngestRequests.PushOf(([("__name__", "process_cpu"), ("service_name", "bad")], [0x1f, 0x8b, 0x00]));
        Assert.Equal(TopicResult.Drop, await subscriber.HandleAsync(Event(malformedProfile.ToByteArray(), "application/octet-stream"), ct));
        Assert.Equal(TopicResult.Success, await subscriber.HandleAsync(Event(Push("after-bad", "go-cpu.pb.gz").ToByteArray(), "application/octet-stream"), ct));

        // Success means durable: the profile is already in the index when the handler returns.
        Assert.Contains("after-bad", await server.LabelValuesAsync("anonymous", "service_name"));
        Assert.Equal(System.Net.HttpStatusCode.OK, (await server.Client.GetAsync("ready", ct)).StatusCode);
    }
}
