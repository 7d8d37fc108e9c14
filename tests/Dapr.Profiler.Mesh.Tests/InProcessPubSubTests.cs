using System.Collections.Concurrent;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;

namespace Dapr.Profiler.Mesh.Tests;

public sealed class InProcessPubSubTests : IAsyncDisposable
{
    private const string PubSub = DaprNames.Components.PubSub;
    private readonly SubscriptionRegistry _registry = new();
    private readonly InProcessPubSub _pubSub;
    private readonly ConcurrentQueue<(string Topic, string Data)> _deliveries = new();

    public InProcessPubSubTests()
    {
        _pubSub = new InProcessPubSub(_registry, NullLogger<InProcessPubSub>.Instance) { RetryDelay = _ => TimeSpan.Zero };
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask DisposeAsync()
    {
        await _pubSub.StopAsync(CancellationToken.None);
        _pubSub.Dispose();
    }

    /// <summary>
    /// Subscribes <paramref name="topic"/> with a handler answering each event in turn from <paramref name="answers"/>
    /// (then Success); events with data "marker" always succeed.
    /// </summary>
    private void Subscribe(string topic, string? deadLetter, params Func<TopicResult>[] answers)
    {
        var attempts = new ConcurrentDictionary<string, int>();
        _registry.Subscribe(new Subscription(PubSub, topic, "/" + topic, deadLetter, (evt, ct) =>
        {
            var data = Encoding.UTF8.GetString(evt.Data.Span);
            _deliveries.Enqueue((evt.Topic, data));
            var attempt = attempts.AddOrUpdate(data, 1, (_, n) => n + 1);
            return Task.FromResult(attempt <= answers.Length && data != "marker" ? answers[attempt - 1]() : TopicResult.Success);
        }));
    }

    private Task Publish(string topic, string data) =>
        _pubSub.PublishAsync(PubSub, topic, Encoding.UTF8.GetBytes(data), "text/plain", Ct);

    private int Count(string topic, string data) => _deliveries.Count(d => d.Topic == topic && d.Data == data);

    [Fact]
    public async Task Success_IsDeliveredOnce()
    {
        Subscribe("t", null);
        await _pubSub.StartAsync(Ct);

        await Publish("t", "one");
        await Publish("t", "marker");

        // Delivery is in order: once the marker arrived, "one" was settled.
        await Eventually.WaitUntilAsync(() => Count("t", "marker") == 1, "the marker arrived");
        Assert.Equal(1, Count("t", "one"));
    }

    [Fact]
    public async Task Retry_AndExceptions_AreRedelivered_UntilSuccess()
    {
        Subscribe("t", null, () => TopicResult.Retry, () => throw new InvalidOperationException("handler crashed"), () => TopicResult.Retry);
        await _pubSub.StartAsync(Ct);

        await Publish("t", "flaky");

        await Eventually.WaitUntilAsync(() => Count("t", "flaky") == 4, "three failures and a success");
        await Publish("t", "marker");
        await Eventually.WaitUntilAsync(() => Count("t", "marker") == 1, "the marker arrived");
        Assert.Equal(4, Count("t", "flaky"));
    }

    [Fact]
    public async Task Drop_GoesToTheDeadLetterTopic_AtOnce()
    {
        Subscribe("t", "t-dead", () => TopicResult.Drop);
        Subscribe("t-dead", null);
        await _pubSub.StartAsync(Ct);

        await Publish("t", "poison");

        await Eventually.WaitUntilAsync(() => Count("t-dead", "poison") == 1, "the event reached the dead-letter topic");
        Assert.Equal(1, Count("t", "poison"));
    }

    [Fact]
    public async Task RetriesExhausted_GoToTheDeadLetterTopic()
    {
        Subscribe("t", "t-dead", Enumerable.Repeat<Func<TopicResult>>(() => TopicResult.Retry, 10).ToArray());
        Subscribe("t-dead", null);
        await _pubSub.StartAsync(Ct);

        await Publish("t", "hopeless");

        await Eventually.WaitUntilAsync(() => Count("t-dead", "hopeless") == 1, "the event reached the dead-letter topic");
        Assert.Equal(5, Count("t", "hopeless"));
    }

    [Fact]
    public async Task Drop_WithoutDeadLetter_IsNotRedelivered_AndUnsubscribedTopicsAreDiscarded()
    {
        Subscribe("t", null, () => TopicResult.Drop);
        await _pubSub.StartAsync(Ct);

        await Publish("nobody-listens", "lost");
        await Publish("t", "dropped");
        await Publish("t", "marker");

        await Eventually.WaitUntilAsync(() => Count("t", "marker") == 1, "the marker arrived");
        Assert.Equal(1, Count("t", "dropped"));
        Assert.Equal(0, Count("nobody-listens", "lost"));
    }

    [Fact]
    public async Task AStructuredCloudEvent_IsDeliveredWithItsOwnAttributesAndExtensions_AsTheSidecarDoes()
    {
        var received = new TaskCompletionSource<TopicEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        _registry.Subscribe(new Subscription(PubSub, "ce", "/ce", null, (evt, _) =>
        {
            received.TrySetResult(evt);
            return Task.FromResult(TopicResult.Success);
        }));
        await _pubSub.StartAsync(Ct);

        var envelope = """{"specversion":"1.0","id":"ev-7","source":"app","type":"t.x","datacontenttype":"application/octet-stream","data_base64":"AQID","tenant":"acme","topic":"elsewhere"}""";
        await _pubSub.PublishAsync(PubSub, "ce", Encoding.UTF8.GetBytes(envelope), CloudEventReader.ContentType, Ct);
        var evt = await received.Task.WaitAsync(TimeSpan.FromSeconds(30), Ct);

        Assert.Equal(("ev-7", "app", "t.x", "ce"), (evt.Id, evt.Source, evt.Type, evt.Topic));
        Assert.Equal(new byte[] { 1, 2, 3 }, evt.Data.ToArray());
        Assert.Equal("application/octet-stream", evt.DataContentType);
        Assert.Equal("acme", evt.Extension("tenant"));
        Assert.Null(evt.Extension("specversion"));
    }

    [Fact]
    public async Task AMalformedCloudEvent_IsRefusedAtPublish()
    {
        Subscribe("ce", null);
        await _pubSub.StartAsync(Ct);

        var refused = await Assert.ThrowsAsync<ServiceException>(() =>
            _pubSub.PublishAsync(PubSub, "ce", Encoding.UTF8.GetBytes("""{"id":"no-specversion"}"""), CloudEventReader.ContentType, Ct));
        Assert.Equal(ServiceStatus.InvalidArgument, refused.Status);
    }
}
