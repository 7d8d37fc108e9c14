using Google.Protobuf.WellKnownTypes;

namespace Dapr.Profiler.Mesh.Tests;

public sealed class ActorRuntimeTests : IAsyncDisposable
{
    private readonly RuntimeFixture _fixture = new();
    private readonly Probe _probe = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask DisposeAsync() => _fixture.DisposeAsync();

    [Fact]
    public async Task ThousandConcurrentCalls_ToOneActor_RunOneAtATime_InOneActivation()
    {
        var runtime = await _fixture.StartAsync(CounterActor.Registry(_probe));

        var results = await Task.WhenAll(Enumerable.Range(0, 1000).Select(_ => Task.Run(() => runtime.IncrementAsync("hot"), Ct)));

        Assert.Equal(Enumerable.Range(1, 1000).Select(i => (long)i), results.Select(r => r.Value).Order());
        Assert.Equal(0, _probe.Overlaps);
        Assert.Equal(["hot"], _probe.Activations);
        Assert.Equal(1, runtime.ActiveActorCount);
    }

    [Fact]
    public async Task DifferentActors_RunInParallel_WhileOneActorsCallsQueue()
    {
        var runtime = await _fixture.StartAsync(CounterActor.Registry(_probe));

        var holdA = runtime.InvokeAsync<StringValue, Empty>(CounterActor.TypeName, new ActorId("a"), "Hold", new StringValue(), Ct);
        var holdB = runtime.InvokeAsync<StringValue, Empty>(CounterActor.TypeName, new ActorId("b"), "Hold", new StringValue(), Ct);

        // Both turns are inside their actors at once: neither waits for the other.
        await _probe.EnteredFor("a").Task.WithTimeout();
        await _probe.EnteredFor("b").Task.WithTimeout();
        var queued = runtime.AddAsync("a", 1);
        Assert.False(queued.IsCompleted);

        _probe.Release.SetResult();
        await Task.WhenAll(holdA, holdB, queued).WithTimeout();
        Assert.Equal(1, (await queued).Value);
        Assert.Equal(0, _probe.Overlaps);
    }

    [Fact]
    public async Task IdleActor_IsDeactivated_AndReactivatedWithItsState()
    {
        _fixture.IdleTimeout = TimeSpan.FromMilliseconds(200);
        _fixture.ScanInterval = TimeSpan.FromMilliseconds(50);
        var runtime = await _fixture.StartAsync(CounterActor.Registry(_probe));

        await runtime.AddAsync("sleepy", 5);
        Assert.True(runtime.IsActive(CounterActor.TypeName, new ActorId("sleepy")));
        await Eventually.WaitUntilAsync(() => _probe.Deactivations.Contains("sleepy"), "the idle actor is deactivated");

        Assert.False(runtime.IsActive(CounterActor.TypeName, new ActorId("sleepy")));
        Assert.Equal(6, (await runtime.AddAsync("sleepy", 1)).Value);
        Assert.Equal(["sleepy", "sleepy"], _probe.Activations);
    }

    [Fact]
    public async Task BusyActor_IsNotDeactivated_WhileCallsKeepComing()
    {
        _fixture.IdleTimeout = TimeSpan.FromMilliseconds(300);
        _fixture.ScanInterval = TimeSpan.FromMilliseconds(20);
        var runtime = await _fixture.StartAsync(CounterActor.Registry(_probe));
        var until = DateTime.UtcNow.AddMilliseconds(900);

        while (DateTime.UtcNow < until)
        {
            await runtime.AddAsync("busy", 1);
        }

        Assert.Empty(_probe.Deactivations);
        Assert.Equal(["busy"], _probe.Activations);
    }

    [Fact]
    public async Task State_SurvivesARestart_OnTheSameDirectory()
    {
        var first = await _fixture.StartAsync(CounterActor.Registry(_probe));
        await first.AddAsync("durable", 40);
        await first.AddAsync("durable", 2);
        await first.StoreTypesAsync("durable", "named");
        await first.DisposeAsync();

        Assert.Equal(["durable"], _probe.Deactivations);
        Assert.True(File.Exists(Path.Join(_fixture.DataDirectory, "actors", "state", "Counter", "durable.json")));

        var second = await _fixture.StartAsync(CounterActor.Registry(new Probe()));
        Assert.Equal(42, await second.GetAsync("durable"));
        Assert.Equal("named:1,2,3:named-proto:00FF", await second.ReadTypesAsync("durable"));
        Assert.Equal(-1, await second.GetAsync("never-written"));
    }

    [Fact]
    public async Task FailingMethod_DiscardsItsStateChanges_AndSurfacesAsInternal()
    {
        var runtime = await _fixture.StartAsync(CounterActor.Registry(_probe));
        await runtime.AddAsync("f", 5);

        var ex = await Assert.ThrowsAsync<ServiceException>(() =>
            runtime.InvokeAsync<Int64Value, Empty>(CounterActor.TypeName, new ActorId("f"), "FailAfterSet", new Int64Value { Value = 999 }, Ct));

        Assert.Equal(ServiceStatus.Internal, ex.Status);
        Assert.IsType<InvalidOperationException>(ex.InnerException);
        Assert.Equal(5, await runtime.GetAsync("f"));
    }

    [Fact]
    public async Task FailedActivation_IsRetriedByTheNextCall()
    {
        var runtime = await _fixture.StartAsync(CounterActor.Registry(_probe));
        _probe.FailNextActivations(1);

        var ex = await Assert.ThrowsAsync<ServiceException>(() => runtime.AddAsync("shaky", 1));
        Assert.Equal(ServiceStatus.Internal, ex.Status);
        Assert.False(runtime.IsActive(CounterActor.TypeName, new ActorId("shaky")));

        Assert.Equal(1, (await runtime.AddAsync("shaky", 1)).Value);
        Assert.Equal(["shaky"], _probe.Activations);
    }

    [Fact]
    public async Task CallingItselfFromItsOwnTurn_FailsInsteadOfDeadlocking()
    {
        var runtime = await _fixture.StartAsync(CounterActor.Registry(_probe));
        _probe.Invoker = runtime;

        var ex = await Assert.ThrowsAsync<ServiceException>(() =>
            runtime.InvokeAsync<Empty, Int64Value>(CounterActor.TypeName, new ActorId("self"), "CallSelf", new Empty(), Ct).WithTimeout());

        Assert.Equal(ServiceStatus.FailedPrecondition, ex.Status);
        Assert.Equal(-1, await runtime.GetAsync("self")); // the actor still answers
    }

    [Fact]
    public async Task UnknownTypeOrMethod_IsUnimplemented_AndAStoppedRuntimeIsUnavailable()
    {
        var runtime = _fixture.Create(CounterActor.Registry(_probe));
        var notStarted = await Assert.ThrowsAsync<ServiceException>(() => runtime.AddAsync("x", 1));
        Assert.Equal(ServiceStatus.Unavailable, notStarted.Status);
        await runtime.StartAsync(Ct);

        var type = await Assert.ThrowsAsync<ServiceException>(() =>
            runtime.InvokeAsync<Empty, Empty>("Nope", new ActorId("x"), "Get", new Empty(), Ct));
        var method = await Assert.ThrowsAsync<ServiceException>(() =>
            runtime.InvokeAsync<Empty, Empty>(CounterActor.TypeName, new ActorId("x"), "Nope", new Empty(), Ct));
        var request = await Assert.ThrowsAsync<ServiceException>(() =>
            runtime.InvokeAsync<StringValue, Int64Value>(CounterActor.TypeName, new ActorId("x"), "Add", new StringValue(), Ct));
        Assert.Equal(ServiceStatus.Unimplemented, type.Status);
        Assert.Equal(ServiceStatus.Unimplemented, method.Status);
        Assert.Equal(ServiceStatus.InvalidArgument, request.Status);

        await runtime.StopAsync(Ct);
        var stopped = await Assert.ThrowsAsync<ServiceException>(() => runtime.AddAsync("x", 1));
        Assert.Equal(ServiceStatus.Unavailable, stopped.Status);
    }

    [Fact]
    public async Task Stop_DeactivatesEveryActor_AndASecondRuntimeCannotShareTheDirectory()
    {
        var runtime = await _fixture.StartAsync(CounterActor.Registry(_probe));
        await runtime.AddAsync("one", 1);
        await runtime.AddAsync("two", 1);

        var rival = _fixture.Create(CounterActor.Registry(new Probe()));
        await Assert.ThrowsAsync<InvalidOperationException>(() => rival.StartAsync(Ct));

        await runtime.StopAsync(Ct);
        Assert.Equal(["one", "two"], _probe.Deactivations.Order(StringComparer.Ordinal));
        Assert.Equal(0, runtime.ActiveActorCount);

        var next = await _fixture.StartAsync(CounterActor.Registry(new Probe()));
        Assert.Equal(1, await next.GetAsync("one"));
    }

    [Fact]
    public void ActorIds_AndTypes_FollowDaprsUrlRules()
    {
        Assert.Equal("shard-1_L0", new ActorId("shard-1_L0").Id);
        foreach (var bad in new[] { "", "a/b", "a\\b", "a#b", "a?b", "a\nb" })
        {
            Assert.ThrowsAny<ArgumentException>(() => new ActorId(bad));
        }

        var registry = new ActorRegistry();
        Assert.ThrowsAny<ArgumentException>(() => registry.RegisterActor("bad/type", host => new CounterActor(host, new Probe())));
        Assert.Throws<ArgumentException>(() => registry.RegisterActor<CounterActor>("T", host => new CounterActor(host, new Probe()), m => m
            .Map<Empty, Empty>("remind/x", (a, r, ct) => Task.FromResult(new Empty()))));
        registry.RegisterActor("Twice", host => new CounterActor(host, new Probe()));
        Assert.Throws<InvalidOperationException>(() => registry.RegisterActor("Twice", host => new CounterActor(host, new Probe())));
    }

    [Fact]
    public void StateFileNames_EscapeEverythingButSafeCharacters()
    {
        Assert.Equal("shard-1_L0", FileActorStateStore.FileName("shard-1_L0"));
        Assert.Equal("%2E%2E", FileActorStateStore.FileName(".."));
        Assert.Equal("a%2Eb%3Ac%C3%A9", FileActorStateStore.FileName("a.b:cé"));
        var hashed = FileActorStateStore.FileName(new string('x', 121));
        Assert.StartsWith("~", hashed, StringComparison.Ordinal);
        Assert.Equal(65, hashed.Length);
    }
}

internal static class CounterActorCalls
{
    public static Task StoreTypesAsync(this IActorInvoker invoker, string id, string value) =>
        invoker.InvokeAsync<StringValue, Empty>(CounterActor.TypeName, new ActorId(id), "StoreTypes", new StringValue { Value = value }, TestContext.Current.CancellationToken);

    public static async Task<string> ReadTypesAsync(this IActorInvoker invoker, string id) =>
        (await invoker.InvokeAsync<Empty, StringValue>(CounterActor.TypeName, new ActorId(id), "ReadTypes", new Empty(), TestContext.Current.CancellationToken)).Value;

    public static Task StartReminderAsync(this IActorInvoker invoker, string id, string spec) =>
        invoker.InvokeAsync<StringValue, Empty>(CounterActor.TypeName, new ActorId(id), "StartReminder", new StringValue { Value = spec }, TestContext.Current.CancellationToken);

    public static Task StopReminderAsync(this IActorInvoker invoker, string id, string name) =>
        invoker.InvokeAsync<StringValue, Empty>(CounterActor.TypeName, new ActorId(id), "StopReminder", new StringValue { Value = name }, TestContext.Current.CancellationToken);

    public static Task StartTimerAsync(this IActorInvoker invoker, string id, string spec) =>
        invoker.InvokeAsync<StringValue, Empty>(CounterActor.TypeName, new ActorId(id), "StartTimer", new StringValue { Value = spec }, TestContext.Current.CancellationToken);

    public static Task StopTimerAsync(this IActorInvoker invoker, string id, string name) =>
        invoker.InvokeAsync<StringValue, Empty>(CounterActor.TypeName, new ActorId(id), "StopTimer", new StringValue { Value = name }, TestContext.Current.CancellationToken);

    public static Task<Int64Value> AddAsync(this IActorInvoker invoker, string id, long value) =>
        invoker.InvokeAsync<Int64Value, Int64Value>(CounterActor.TypeName, new ActorId(id), "Add", new Int64Value { Value = value }, TestContext.Current.CancellationToken);

    public static async Task<long> GetAsync(this IActorInvoker invoker, string id) =>
        (await invoker.InvokeAsync<Empty, Int64Value>(CounterActor.TypeName, new ActorId(id), "Get", new Empty(), TestContext.Current.CancellationToken)).Value;

    public static Task<Int64Value> IncrementAsync(this IActorInvoker invoker, string id) =>
        invoker.InvokeAsync<Int64Value, Int64Value>(CounterActor.TypeName, new ActorId(id), "Increment", new Int64Value { Value = 1 }, TestContext.Current.CancellationToken);
}
