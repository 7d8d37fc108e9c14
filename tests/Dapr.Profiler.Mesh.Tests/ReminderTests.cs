using System.Text;

namespace Dapr.Profiler.Mesh.Tests;

public sealed class ReminderTests : IAsyncDisposable
{
    /// <summary>How long an absence check watches for something that must not happen (not a synchronisation).</summary>
    private static readonly TimeSpan QuietPeriod = TimeSpan.FromMilliseconds(300);

    private readonly RuntimeFixture _fixture = new();
    private readonly Probe _probe = new();

    public ValueTask DisposeAsync() => _fixture.DisposeAsync();

    private string RemindersFile => Path.Join(_fixture.DataDirectory, "actors", "reminders.json");

    [Fact]
    public async Task PeriodicReminder_FiresRepeatedly_WithItsRegistrationValues()
    {
        var runtime = await _fixture.StartAsync(CounterActor.Registry(_probe));

        await runtime.StartReminderAsync("r", "tick|0|40|payload");

        await Eventually.WaitUntilAsync(() => _probe.RemindersOf("r", "tick") >= 3, "the reminder fired three times");
        var first = _probe.Reminders.First();
        Assert.Equal("payload", Encoding.UTF8.GetString(first.State!));
        Assert.Equal(TimeSpan.FromMilliseconds(40), first.Period);
        Assert.True(runtime.IsActive(CounterActor.TypeName, new ActorId("r")));
    }

    [Fact]
    public async Task OneShotReminder_FiresOnce_AndIsForgotten()
    {
        var runtime = await _fixture.StartAsync(CounterActor.Registry(_probe));

        await runtime.StartReminderAsync("o", "once|0|0");

        await Eventually.WaitUntilAsync(() => _probe.RemindersOf("o", "once") == 1, "the one-shot reminder fired");
        await Eventually.WaitUntilAsync(() => runtime.RemindersOf(CounterActor.TypeName, new ActorId("o")).Count == 0, "the reminder is removed");
        Assert.DoesNotContain("once", await File.ReadAllTextAsync(RemindersFile, TestContext.Current.CancellationToken), StringComparison.Ordinal);
        await Task.Delay(QuietPeriod, TestContext.Current.CancellationToken);
        Assert.Equal(1, _probe.RemindersOf("o", "once"));
    }

    [Fact]
    public async Task Unregister_StopsTheReminder()
    {
        var runtime = await _fixture.StartAsync(CounterActor.Registry(_probe));
        await runtime.StartReminderAsync("u", "tick|0|30");
        await Eventually.WaitUntilAsync(() => _probe.RemindersOf("u", "tick") >= 2, "the reminder fired twice");

        await runtime.StopReminderAsync("u", "tick");
        var fired = _probe.RemindersOf("u", "tick");
        await runtime.StopReminderAsync("u", "tick"); // idempotent
        await runtime.StopReminderAsync("u", "never-registered");

        await Task.Delay(QuietPeriod, TestContext.Current.CancellationToken);
        Assert.Equal(fired, _probe.RemindersOf("u", "tick"));
        Assert.Empty(runtime.RemindersOf(CounterActor.TypeName, new ActorId("u")));
    }

    [Fact]
    public async Task Reminder_SurvivesARestart_AndFiresInTheNewRuntime()
    {
        var first = await _fixture.StartAsync(CounterActor.Registry(_probe));
        await first.StartReminderAsync("d", "later|1500|0|kept");
        await first.StartReminderAsync("p", "periodic|1500|50");
        Assert.Contains("later", await File.ReadAllTextAsync(RemindersFile, TestContext.Current.CancellationToken), StringComparison.Ordinal);

        await first.DisposeAsync();
        Assert.Empty(_probe.Reminders); // stopped before the due time: only the new runtime can fire them

        var probe = new Probe();
        var second = await _fixture.StartAsync(CounterActor.Registry(probe));
        await Eventually.WaitUntilAsync(() => probe.RemindersOf("d", "later") == 1, "the reminder fired after the restart");
        await Eventually.WaitUntilAsync(() => probe.RemindersOf("p", "periodic") >= 2, "the periodic reminder keeps firing after the restart");
        Assert.Equal("kept", Encoding.UTF8.GetString(probe.Reminders.First(r => r.Name == "later").State!));
        Assert.Empty(_probe.Reminders);
        Assert.Single(second.RemindersOf(CounterActor.TypeName, new ActorId("p")));
    }

    [Fact]
    public async Task ReminderDueWhileStopped_FiresOnceAtTheNextStart()
    {
        var first = await _fixture.StartAsync(CounterActor.Registry(_probe));
        var registered = DateTime.UtcNow;
        await first.StartReminderAsync("late", "missed|400|0");
        await first.DisposeAsync();
        await Eventually.WaitUntilAsync(() => DateTime.UtcNow > registered.AddMilliseconds(600), "the due time passed while stopped");

        var probe = new Probe();
        await _fixture.StartAsync(CounterActor.Registry(probe));

        await Eventually.WaitUntilAsync(() => probe.RemindersOf("late", "missed") == 1, "the overdue reminder fired at start");
        Assert.Empty(_probe.Reminders);
    }

    [Fact]
    public async Task FailingReminder_IsLogged_AndKeepsItsSchedule()
    {
        _probe.FailReminders = true;
        var runtime = await _fixture.StartAsync(CounterActor.Registry(_probe));

        await runtime.StartReminderAsync("bad", "tick|0|30");

        await Eventually.WaitUntilAsync(() => _probe.RemindersOf("bad", "tick") >= 3, "the failing reminder fired three times");
        await Eventually.WaitUntilAsync(() => _fixture.Logs.Entries.Count(e => e.EventId.Id == 1206) >= 3, "three failures were logged");
        Assert.All(_fixture.Logs.Entries.Where(e => e.EventId.Id == 1206), e => Assert.IsType<InvalidOperationException>(e.Exception));
        Assert.Single(runtime.RemindersOf(CounterActor.TypeName, new ActorId("bad")));
    }

    [Fact]
    public async Task Reminders_RunInTurns_NeverOverlappingCalls()
    {
        var runtime = await _fixture.StartAsync(CounterActor.Registry(_probe));
        await runtime.StartReminderAsync("mixed", "fast|0|5");

        await Task.WhenAll(Enumerable.Range(0, 300).Select(_ => Task.Run(() => runtime.IncrementAsync("mixed"), TestContext.Current.CancellationToken)));
        await Eventually.WaitUntilAsync(() => _probe.RemindersOf("mixed", "fast") >= 5, "the reminder fired among the calls");

        Assert.Equal(0, _probe.Overlaps);
    }

    [Fact]
    public async Task RegisteringAgain_ReplacesTheReminder()
    {
        var runtime = await _fixture.StartAsync(CounterActor.Registry(_probe));
        await runtime.StartReminderAsync("re", "r|600000|0|old");

        await runtime.StartReminderAsync("re", "r|0|0|new");

        await Eventually.WaitUntilAsync(() => _probe.RemindersOf("re", "r") == 1, "the replacement fired");
        Assert.Equal("new", Encoding.UTF8.GetString(_probe.Reminders.Single().State!));
        await Eventually.WaitUntilAsync(() => runtime.RemindersOf(CounterActor.TypeName, new ActorId("re")).Count == 0, "nothing is left scheduled");
    }

    [Fact]
    public async Task Reminder_ActivatesAnIdleActor_AndDoesNotCountAsIdle()
    {
        _fixture.IdleTimeout = TimeSpan.FromMilliseconds(200);
        _fixture.ScanInterval = TimeSpan.FromMilliseconds(50);
        var runtime = await _fixture.StartAsync(CounterActor.Registry(_probe));
        await runtime.StartReminderAsync("wake", "w|700|0");
        await Eventually.WaitUntilAsync(() => _probe.Deactivations.Contains("wake"), "the actor went idle before the reminder");

        await Eventually.WaitUntilAsync(() => _probe.RemindersOf("wake", "w") == 1, "the reminder fired");

        Assert.Equal(2, _probe.Activations.Count(id => id == "wake"));
    }

    [Fact]
    public async Task CorruptReminderFile_StopsTheStart_AndReleasesTheDirectory()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(RemindersFile)!);
        await File.WriteAllTextAsync(RemindersFile, "{ not json", TestContext.Current.CancellationToken);
        var broken = _fixture.Create(CounterActor.Registry(_probe));

        await Assert.ThrowsAnyAsync<System.Text.Json.JsonException>(() => broken.StartAsync(TestContext.Current.CancellationToken));

        File.Delete(RemindersFile);
        var next = await _fixture.StartAsync(CounterActor.Registry(_probe));
        Assert.Equal(1, (await next.AddAsync("after", 1)).Value);
    }

    [Fact]
    public async Task ReminderOfATypeNotHosted_IsKept_AndFiresWhereTheTypeIsHosted()
    {
        var first = await _fixture.StartAsync(CounterActor.Registry(_probe));
        await first.StartReminderAsync("k", "kept|1000|0");
        await first.DisposeAsync();

        var otherTypes = new ActorRegistry();
        otherTypes.RegisterActor("Other", host => new CounterActor(host, new Probe()));
        var second = await _fixture.StartAsync(otherTypes);
        await Eventually.WaitUntilAsync(() => _fixture.Logs.Entries.Any(e => e.EventId.Id == 1208), "the unhosted reminder was reported");
        await second.DisposeAsync();
        Assert.Contains("kept", await File.ReadAllTextAsync(RemindersFile, TestContext.Current.CancellationToken), StringComparison.Ordinal);

        var probe = new Probe();
        await _fixture.StartAsync(CounterActor.Registry(probe));
        await Eventually.WaitUntilAsync(() => probe.RemindersOf("k", "kept") == 1, "the reminder fired where its type is hosted");
        Assert.Empty(_probe.Reminders);
    }
}
