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
    public async Task Subscriber_DeadLettersInvalidEvents_WithTheReason_AndTheServerStaysUp()
    {
        await using var server = await InProcessServer.StartAsync();
        var deadLetters = DeadLetters(server);
        var subscriber = server.Services.GetRequiredService<ProfileEventSubscriber>();
        var ct = TestContext.Current.CancellationToken;
        TopicEvent Event(byte[] data, string contentType) => new("id-1", "test", "com.dapr.event.sent", "pubsub", "profiles", contentType, data);

        Assert.Equal(TopicResult.Success, await subscriber.HandleAsync(Event([0xff, 0x00, 0x13], "application/octet-stream"), ct));
        Assert.Equal(TopicResult.Success, await subscriber.HandleAsync(Event("{not json"u8.ToArray(), "application/json"), ct));
        var malformedProfile = IngestRequests.PushOf(([("__name__", "process_cpu"), ("service_name", "bad")], [0x1f, 0x8b, 0x00]));
        Assert.Equal(TopicResult.Success, await subscriber.HandleAsync(Event(malformedProfile.ToByteArray(), "application/octet-stream"), ct));
        Assert.Equal(TopicResult.Success, await subscriber.HandleAsync(Event(Push("after-bad", "go-cpu.pb.gz").ToByteArray(), "application/octet-stream"), ct));

        // Success means durable: the profile is already in the index when the handler returns.
        var services = await server.LabelValuesAsync("anonymous", "service_name");
        Assert.Contains("after-bad", services);
        Assert.DoesNotContain("bad", services);
        Assert.Equal(System.Net.HttpStatusCode.OK, (await server.Client.GetAsync("ready", ct)).StatusCode);

        var reasons = new List<string>();
        while (reasons.Count < 3)
        {
            var dead = await deadLetters.ReadAsync(ct);
            reasons.Add(dead.Extension(DaprNames.EventAttributes.DeadLetterReason) ?? "(none)");
        }

        Assert.All(reasons, r => Assert.NotEqual("(none)", r));
        Assert.Contains(reasons, r => r.Contains("not a push.v1 PushRequest", StringComparison.Ordinal));
    }

    [Fact]
    public async Task WithMultitenancy_PublishedCloudEvents_AreStoredUnderTheirTenant_AndOnesWithoutATenantAreNot()
    {
        await using var server = await InProcessServer.StartAsync("--Distributor:MultitenancyEnabled=true", "--QueryFrontend:MultitenancyEnabled=true");
        var deadLetters = DeadLetters(server);
        var publisher = server.Services.GetRequiredService<IPublisher>();
        var ct = TestContext.Current.CancellationToken;

        await publisher.PublishAsync(DaprNames.Components.PubSub, DaprNames.Topics.Profiles, CloudEvent(Push("no-tenant", "go-cpu.pb.gz"), tenant: null), CloudEventReader.ContentType, ct);
        await publisher.PublishAsync(DaprNames.Components.PubSub, DaprNames.Topics.Profiles, CloudEvent(Push("acme-service", "go-cpu.pb.gz"), tenant: "acme"), CloudEventReader.ContentType, ct);

        // Events are delivered in order: once the dead letter of the first is out, wait for the second to be stored.
        var dead = await deadLetters.ReadAsync(ct);
        Assert.Contains("'tenant' is required", dead.Extension(DaprNames.EventAttributes.DeadLetterReason), StringComparison.Ordinal);
        IReadOnlyList<string> acme = [];
        for (var deadline = DateTime.UtcNow.AddSeconds(30); DateTime.UtcNow < deadline && !acme.Contains("acme-service");)
        {
            acme = await server.LabelValuesAsync("acme", "service_name");
            await Task.Delay(50, ct);
        }

        Assert.Equal(["acme-service"], acme);
        Assert.Empty(await server.LabelValuesAsync("anonymous", "service_name"));
    }

    private static byte[] CloudEvent(Protos.Push.PushRequest push, string? tenant)
    {
        var envelope = new System.Text.Json.Nodes.JsonObject
        {
            ["specversion"] = "1.0",
            ["id"] = Guid.NewGuid().ToString(),
            ["source"] = "test",
            ["type"] = "com.example.profile",
            ["datacontenttype"] = "application/octet-stream",
            ["data_base64"] = Convert.ToBase64String(push.ToByteArray()),
        };
        if (tenant is not null)
        {
            envelope[DaprNames.EventAttributes.Tenant] = tenant;
        }

        return System.Text.Encoding.UTF8.GetBytes(envelope.ToJsonString());
    }

    /// <summary>Subscribes a reader to <c>profiles-deadletter</c> in the server's in-process pub/sub.</summary>
    private static System.Threading.Channels.ChannelReader<TopicEvent> DeadLetters(InProcessServer server)
    {
        var channel = System.Threading.Channels.Channel.CreateUnbounded<TopicEvent>();
        server.Services.GetRequiredService<SubscriptionRegistry>().Subscribe(new Subscription(
            DaprNames.Components.PubSub,
            DaprNames.Topics.ProfilesDeadLetter,
            "/events/test-deadletter",
            null,
            (evt, _) => Task.FromResult(channel.Writer.TryWrite(evt) ? TopicResult.Success : TopicResult.Retry)));
        return channel.Reader;
    }
}
