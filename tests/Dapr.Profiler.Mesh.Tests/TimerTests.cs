namespace Dapr.Profiler.Mesh.Tests;

public sealed class TimerTests : IAsyncDisposable
{
    private static readonly TimeSpan QuietPeriod = TimeSpan.FromMilliseconds(300);

    private readonly RuntimeFixture _fixture = new();
    private readonly Probe _probe = new();

    public ValueTask DisposeAsync() => _fixture.DisposeAsync();

    private int TicksOf(string id) => _probe.Ticks.Count(t => t == id);

    [Fact]
    public async Task Timer_FiresInTurns_SavesState_AndStopsWhenUnregistered()
    {
        var runtime = await _fixture.StartAsync(CounterActor.Registry(_probe));

        await runtime.StartTimerAsync("t", "tick|0|20");
        await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => Task.Run(() => runtime.IncrementAsync("t"), TestContext.Current.CancellationToken)));
        await Eventually.WaitUntilAsync(() => TicksOf("t") >= 3, "the timer ticked three times");
        await runtime.StopTimerAsync("t", "tick");
        var ticks = TicksOf("t");

        await Task.Delay(QuietPeriod, TestContext.Current.CancellationToken);
        Assert.Equal(ticks, TicksOf("t"));
        Assert.Equal(0, _probe.Overlaps);
        await runtime.DisposeAsync();
        Assert.Contains($"\"ticks\": {ticks}", await File.ReadAllTextAsync(
            Path.Join(_fixture.DataDirectory, "actors", "state", "Counter", "t.json"), TestContext.Current.CancellationToken), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Timer_DoesNotKeepTheActorActive_AndEndsWithTheActivation()
    {
        _fixture.IdleTimeout = TimeSpan.FromMilliseconds(250);
        _fixture.ScanInterval = TimeSpan.FromMilliseconds(50);
        var runtime = await _fixture.StartAsync(CounterActor.Registry(_probe));

        await runtime.StartTimerAsync("idle", "tick|0|20");
        await Eventually.WaitUntilAsync(() => _probe.Deactivations.Contains("idle"), "the actor with a timer went idle");
        var ticks = TicksOf("idle");

        Assert.True(ticks > 0);
        await Task.Delay(QuietPeriod, TestContext.Current.CancellationToken);
        Assert.Equal(ticks, TicksOf("idle"));
        Assert.False(runtime.IsActive(CounterActor.TypeName, new ActorId("idle")));
    }

    [Fact]
    public async Task FailingTimer_IsLogged_AndKeepsTicking()
    {
        _probe.FailTimers = true;
        var runtime = await _fixture.StartAsync(CounterActor.Registry(_probe));

        await runtime.StartTimerAsync("ft", "tick|0|20");

        await Eventually.WaitUntilAsync(() => TicksOf("ft") >= 3, "the failing timer ticked three times");
        await Eventually.WaitUntilAsync(() => _fixture.Logs.Entries.Count(e => e.EventId.Id == 1209) >= 3, "three failures were logged");
    }

    [Fact]
    public async Task OneShotTimer_FiresOnce()
    {
        var runtime = await _fixture.StartAsync(CounterActor.Registry(_probe));

        await runtime.StartTimerAsync("once", "tick|10|0");

        await Eventually.WaitUntilAsync(() => TicksOf("once") == 1, "the timer fired");
        await Task.Delay(QuietPeriod, TestContext.Current.CancellationToken);
        Assert.Equal(1, TicksOf("once"));
    }
}
