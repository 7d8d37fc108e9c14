using System.Net;
using System.Text;
using System.Text.Json;
using Dapr.Actors;
using Dapr.Actors.Client;

namespace Dapr.Profiler.DaprSidecar.Emulator.Tests;

/// <summary>The actors API against a real Dapr .NET SDK actor app (<see cref="CounterActor"/>) behind emulated sidecars.</summary>
public sealed class ActorTests
{
    private const string Host = "host";
    private const string Client = ActorHarness.Client;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Method_calls_round_trip_through_the_sidecar_to_the_hosting_app()
    {
        await using var harness = await ActorHarness.StartAsync([Host]);

        Assert.Equal(2, await harness.Proxy("a").InvokeMethodAsync<int, int>("Add", 2, Ct));
        Assert.Equal(5, await harness.Proxy("a").InvokeMethodAsync<int, int>("Add", 3, Ct));
        Assert.Equal(5, await harness.Remoting("a").Read());
        Assert.Equal(6, await harness.Remoting("a", via: Host).Add(1));

        var probe = harness[Host].Probe;
        var adds = probe.Events.Where(e => e.Kind == "request" && e.Id == "PUT /actors/CounterActor/a/method/Add").ToList();
        Assert.Equal([Client, Client, Host], adds.Select(e => e.Data));
        Assert.All(adds, e => Assert.Equal(ActorHarness.AppToken(Host), e.Name));
        Assert.Contains(probe.Events, e => e.Kind == "request" && e.Id == "GET /dapr/config");
        Assert.Equal(1, probe.Count("activate", "a"));
        Assert.Equal([ActorHarness.ActorType], harness.Cluster[Host].ActorTypes);
        Assert.Empty(harness.Cluster[Client].ActorTypes);

        using var http = harness.Http(Host);
        using (var state = await http.GetAsync("/v1.0/actors/CounterActor/a/state/count", Ct))
        {
            Assert.Equal(HttpStatusCode.OK, state.StatusCode);
            Assert.Equal("6", await state.Content.ReadAsStringAsync(Ct));
        }

        using (var missing = await http.GetAsync("/v1.0/actors/CounterActor/a/state/nothing", Ct))
        {
            Assert.Equal(HttpStatusCode.NoContent, missing.StatusCode);
        }

        using var metadata = JsonDocument.Parse(await http.GetStringAsync("/v1.0/metadata", Ct));
        var runtime = metadata.RootElement.GetProperty("actorRuntime");
        Assert.True(runtime.GetProperty("hostReady").GetBoolean());
        var active = Assert.Single(runtime.GetProperty("activeActors").EnumerateArray());
        Assert.Equal("CounterActor", active.GetProperty("type").GetString());
        Assert.Equal(1, active.GetProperty("count").GetInt32());
    }

    [Fact]
    public async Task State_saved_by_the_sdk_outlives_the_app_process()
    {
        await using var harness = await ActorHarness.StartAsync([Host]);
        Assert.Equal(7, await harness.Proxy("a").InvokeMethodAsync<int, int>("Add", 7, Ct));

        await harness.StopAppAsync(Host);
        var second = await harness.StartAppAsync(Host);

        Assert.Equal(7, await harness.Proxy("a").InvokeMethodAsync<int>("Read", Ct));
        Assert.Equal(8, await harness.Remoting("a").Add(1));
        Assert.Equal(1, second.Probe.Count("activate", "a"));
    }

    [Fact]
    public async Task State_and_reminders_outlive_the_emulator_with_a_state_directory()
    {
        using var directory = new TempDirectory();
        await using (var first = await ActorHarness.StartAsync([Host], stateDirectory: directory.Path))
        {
            Assert.Equal(4, await first.Proxy("a").InvokeMethodAsync<int, int>("Add", 4, Ct));
            await first.Proxy("r").InvokeMethodAsync("StartReminder", new ScheduleRequest("tick", "kept", 0, 100), Ct);
            await first[Host].Probe.WaitUntilAsync(e => e.Any(x => x.Kind == "reminder" && x.Id == "r"), "the first reminder");
        }

        await using var second = await ActorHarness.StartAsync([Host], stateDirectory: directory.Path);
        Assert.Equal(4, await second.Proxy("a").InvokeMethodAsync<int>("Read", Ct));
        await second[Host].Probe.WaitUntilAsync(
            e => e.Count(x => x.Kind == "reminder" && x.Id == "r" && x.Name == "tick" && x.Data == "kept") >= 2,
            "the reminder firing in the new emulator");
    }

    [Fact]
    public async Task Reminder_fires_with_its_data_keeps_firing_after_the_app_restarts_and_stops_when_unregistered()
    {
        await using var harness = await ActorHarness.StartAsync([Host]);
        await harness.Proxy("r").InvokeMethodAsync("StartReminder", new ScheduleRequest("tick", "payload", 0, 150), Ct);
        await harness[Host].Probe.WaitUntilAsync(e => Reminders(e, "r", "tick") >= 2, "two reminders");
        Assert.All(harness[Host].Probe.Events.Where(e => e.Kind == "reminder"), e => Assert.Equal("payload", e.Data));
        Assert.Contains(harness[Host].Probe.Events, e => e.Kind == "request" && e.Id == "PUT /actors/CounterActor/r/method/remind/tick" && e.Name == ActorHarness.AppToken(Host));

        using var http = harness.Http(Host);
        using (var reminder = JsonDocument.Parse(await http.GetStringAsync("/v1.0/actors/CounterActor/r/reminders/tick", Ct)))
        {
            var root = reminder.RootElement;
            Assert.Equal("r", root.GetProperty("actorID").GetString());
            Assert.Equal("CounterActor", root.GetProperty("actorType").GetString());
            Assert.Equal("0h0m0s150ms", root.GetProperty("period").GetString());
            Assert.Equal("payload", Encoding.UTF8.GetString(root.GetProperty("data").GetBytesFromBase64()));
        }

        await harness.StopAppAsync(Host);
        var second = await harness.StartAppAsync(Host);
        await second.Probe.WaitUntilAsync(e => Reminders(e, "r", "tick") >= 2, "two reminders on the new app process");
        Assert.All(second.Probe.Events.Where(e => e.Kind == "reminder"), e => Assert.Equal("payload", e.Data));

        await harness.Proxy("r").InvokeMethodAsync("StopReminder", "tick", Ct);
        await AssertStoppedAsync(harness, second.Probe, "reminder", "r");
        using var gone = await http.GetAsync("/v1.0/actors/CounterActor/r/reminders/tick", Ct);
        await AssertErrorAsync(gone, HttpStatusCode.NotFound, "ERR_ACTOR_REMINDER_NOT_FOUND");
    }

    [Fact]
    public async Task Reminder_keeps_firing_behind_a_restarted_sidecar()
    {
        await using var harness = await ActorHarness.StartAsync([Host]);
        var port = harness.Cluster[Host].HttpPort;
        await harness.Proxy("r").InvokeMethodAsync("StartReminder", new ScheduleRequest("tick", "durable", 0, 150), Ct);
        await harness[Host].Probe.WaitUntilAsync(e => Reminders(e, "r", "tick") >= 1, "a reminder");

        await harness.StopAppAsync(Host);
        var sidecar = await harness.Cluster.RestartSidecarAsync(Host, Ct);
        var second = await harness.StartAppAsync(Host);

        Assert.Equal(port, sidecar.HttpPort);
        Assert.Same(sidecar, harness.Cluster[Host]);
        await second.Probe.WaitUntilAsync(e => Reminders(e, "r", "tick") >= 2, "reminders behind the new sidecar");
        Assert.All(second.Probe.Events.Where(e => e.Kind == "reminder"), e => Assert.Equal("durable", e.Data));
    }

    [Fact]
    public async Task One_shot_reminder_is_retried_until_delivered_then_removed()
    {
        await using var harness = await ActorHarness.StartAsync([Host]);
        var probe = harness[Host].Probe;
        probe.FailReminders(2);
        await harness.Proxy("o").InvokeMethodAsync("StartReminder", new ScheduleRequest("once", "one", 50, -1), Ct);

        await probe.WaitUntilAsync(e => Reminders(e, "o", "once") == 1, "the one-shot reminder");
        Assert.Equal(3, probe.Count("reminder-attempt", "o", "once"));

        using var http = harness.Http(Host);
        await EventuallyAsync(
            async () =>
            {
                using var response = await http.GetAsync("/v1.0/actors/CounterActor/o/reminders/once", Ct);
                return response.StatusCode == HttpStatusCode.NotFound;
            },
            "the delivered one-shot reminder to be removed");
        await AssertStoppedAsync(harness, probe, "reminder", "o");
        Assert.Equal(1, Reminders(probe.Events, "o", "once"));
    }

    [Fact]
    public async Task Timers_fire_with_their_data_stop_when_unregistered_and_end_with_their_sidecar()
    {
        await using var harness = await ActorHarness.StartAsync([Host]);
        var probe = harness[Host].Probe;
        await harness.Proxy("t").InvokeMethodAsync("StartTimer", new ScheduleRequest("tock", "timer-data", 0, 100), Ct);
        await harness.Proxy("once").InvokeMethodAsync("StartTimer", new ScheduleRequest("single", "just-once", 50, -1), Ct);
        await probe.WaitUntilAsync(e => e.Count(x => x.Kind == "timer" && x.Id == "t") >= 3, "three timer callbacks");
        Assert.All(probe.Events.Where(e => e.Kind == "timer" && e.Id == "t"), e => Assert.Equal("timer-data", e.Data));
        Assert.Contains(probe.Events, e => e.Kind == "request" && e.Id == "PUT /actors/CounterActor/t/method/timer/tock");

        await harness.Proxy("t").InvokeMethodAsync("StopTimer", "tock", Ct);
        await AssertStoppedAsync(harness, probe, "timer", "t");
        var once = Assert.Single(probe.Events, e => e.Kind == "timer" && e.Id == "once");
        Assert.Equal("just-once", once.Data);

        // Timers are not durable: they end with the sidecar they were created on.
        await harness.Proxy("t2").InvokeMethodAsync("StartTimer", new ScheduleRequest("tock", "x", 0, 100), Ct);
        await probe.WaitUntilAsync(e => e.Any(x => x.Kind == "timer" && x.Id == "t2"), "a timer callback");
        await harness.Cluster.RestartSidecarAsync(Host, Ct);
        await AssertStoppedAsync(harness, probe, "timer", "t2");
    }

    [Fact]
    public async Task Calls_to_one_actor_id_are_serialised_and_other_ids_run_meanwhile()
    {
        await using var harness = await ActorHarness.StartAsync([Host]);
        var probe = harness[Host].Probe;
        var first = harness.Proxy("a").InvokeMethodAsync<string, int>("Hold", "g1", Ct);
        await probe.WaitUntilAsync(e => e.Any(x => x.Kind == "enter" && x.Name == "g1"), "the first call in its turn");
        probe.Release("g2");
        probe.Release("g3");

        var second = harness.Proxy("a", via: Host).InvokeMethodAsync<string, int>("Hold", "g2", Ct);
        Assert.Equal(0, await harness.Proxy("b").InvokeMethodAsync<string, int>("Hold", "g3", Ct));
        Assert.DoesNotContain(probe.Events, e => e.Kind == "enter" && e.Name == "g2");
        Assert.False(second.IsCompleted);

        probe.Release("g1");
        await first;
        await second;
        var order = probe.Events.Where(e => e.Id == "a" && e.Kind is "enter" or "exit").Select(e => $"{e.Kind} {e.Name}");
        Assert.Equal(["enter g1", "exit g1", "enter g2", "exit g2"], order);

        var adds = Enumerable.Range(0, 20).Select(i => harness.Proxy("c", via: i % 2 == 0 ? Client : Host).InvokeMethodAsync<int, int>("Add", 1, Ct));
        var results = await Task.WhenAll(adds);
        Assert.Equal(Enumerable.Range(1, 20), results.Order());
        Assert.Equal(1, probe.MaxInside("a"));
        Assert.Equal(1, probe.MaxInside("c"));
    }

    [Fact]
    public async Task Two_apps_hosting_the_type_never_activate_an_id_twice_and_placement_moves_with_the_apps()
    {
        await using var harness = await ActorHarness.StartAsync(["blue", "green"]);
        var ids = Enumerable.Range(0, 16).Select(i => $"id-{i}").ToList();
        string[] vias = [Client, "blue", "green"];
        await Task.WhenAll(ids.SelectMany(id => vias.Select(via => harness.Proxy(id, via).InvokeMethodAsync<int, int>("Add", 1, Ct))));

        Assert.Empty(harness.Ledger.Violations);
        Assert.All(ids, id => Assert.Single(harness.Ledger.Activations, a => a.Id == id));
        var owners = ids.ToDictionary(id => id, id => harness.Ledger.ActiveOn(id));
        Assert.Contains("blue#1", owners.Values);
        Assert.Contains("green#1", owners.Values);
        foreach (var id in ids)
        {
            Assert.Equal(3, await harness.Proxy(id).InvokeMethodAsync<int>("Read", Ct));
        }

        // Blue goes away: its ids move to green, with their state.
        await harness.StopAppAsync("blue");
        foreach (var id in ids)
        {
            Assert.Equal(4, await harness.Proxy(id).InvokeMethodAsync<int, int>("Add", 1, Ct));
            Assert.Equal("green#1", harness.Ledger.ActiveOn(id));
        }

        // Blue comes back: once its sidecar has it in placement again, the ids it wins are deactivated on green first.
        await harness.StartAppAsync("blue");
        using var http = harness.Http("blue");
        await EventuallyAsync(
            async () =>
            {
                using var metadata = JsonDocument.Parse(await http.GetStringAsync("/v1.0/metadata", Ct));
                return metadata.RootElement.GetProperty("actorRuntime").GetProperty("hostReady").GetBoolean();
            },
            "blue back in placement");
        foreach (var id in ids)
        {
            Assert.Equal(5, await harness.Proxy(id, via: "green").InvokeMethodAsync<int, int>("Add", 1, Ct));
        }

        Assert.Empty(harness.Ledger.Violations);
        var green = harness["green"].Probe;
        foreach (var (id, owner) in owners)
        {
            Assert.Equal(owner == "blue#1" ? "blue#2" : "green#1", harness.Ledger.ActiveOn(id));
            Assert.Equal(owner == "blue#1" ? 1 : 0, green.Count("deactivate", id));
        }
    }

    [Fact]
    public async Task Unknown_actor_type_or_method_is_500_ERR_ACTOR_INVOKE_METHOD()
    {
        await using var harness = await ActorHarness.StartAsync([Host], placementTimeout: TimeSpan.FromMilliseconds(100));
        using var http = harness.Http(Client);
        using (var response = await http.PostAsync("/v1.0/actors/Nope/x/method/Do", new StringContent("{}"), Ct))
        {
            var message = await AssertErrorAsync(response, HttpStatusCode.InternalServerError, "ERR_ACTOR_INVOKE_METHOD");
            Assert.Contains("did not find address for actor 'Nope/x'", message, StringComparison.Ordinal);
        }

        var unknownType = await Assert.ThrowsAsync<DaprApiException>(
            () => ActorProxy.Create(new ActorId("x"), "Nope", harness.ProxyOptions(Client)).InvokeMethodAsync<int>("Read", Ct));
        Assert.Equal("ERR_ACTOR_INVOKE_METHOD", unknownType.ErrorCode);

        using (var response = await http.PutAsync("/v1.0/actors/CounterActor/x/method/NoSuchMethod", new StringContent("{}"), Ct))
        {
            var message = await AssertErrorAsync(response, HttpStatusCode.InternalServerError, "ERR_ACTOR_INVOKE_METHOD");
            Assert.StartsWith("error invoke actor method: error from actor service: (500)", message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task State_reminder_and_timer_calls_follow_the_daprd_rules()
    {
        await using var harness = await ActorHarness.StartAsync([Host]);
        using var client = harness.Http(Client);
        using var host = harness.Http(Host);
        const string Actor = "/v1.0/actors/CounterActor/a";

        // Only the sidecar of an app hosting the type manages reminders and timers; state only where the actor lives.
        await AssertErrorAsync(await client.PostAsync($"{Actor}/reminders/r", Json("""{"dueTime":"1h"}"""), Ct), HttpStatusCode.Forbidden, "ERR_ACTOR_REMINDER_NON_HOSTED");
        await AssertErrorAsync(await client.GetAsync($"{Actor}/reminders/r", Ct), HttpStatusCode.Forbidden, "ERR_ACTOR_REMINDER_NON_HOSTED");
        await AssertErrorAsync(await client.PostAsync($"{Actor}/timers/t", Json("""{"dueTime":"1h"}"""), Ct), HttpStatusCode.InternalServerError, "ERR_ACTOR_TIMER_CREATE");
        await AssertErrorAsync(await client.PutAsync($"{Actor}/state", Json("[]"), Ct), HttpStatusCode.BadRequest, "ERR_ACTOR_INSTANCE_MISSING");
        await AssertErrorAsync(await client.GetAsync($"{Actor}/state/k", Ct), HttpStatusCode.BadRequest, "ERR_ACTOR_INSTANCE_MISSING");

        // A transaction applies all operations or none.
        using (var saved = await host.PutAsync($"{Actor}/state", Json("""[{"operation":"upsert","request":{"key":"k1","value":{"x":[1,2]}}},{"operation":"upsert","request":{"key":"k2","value":"s"}}]"""), Ct))
        {
            Assert.Equal(HttpStatusCode.NoContent, saved.StatusCode);
        }

        await AssertErrorAsync(
            await host.PostAsync($"{Actor}/state", Json("""[{"operation":"delete","request":{"key":"k1"}},{"operation":"merge","request":{"key":"k2"}}]"""), Ct),
            HttpStatusCode.InternalServerError,
            "ERR_ACTOR_STATE_TRANSACTION_SAVE");
        await AssertErrorAsync(await host.PutAsync($"{Actor}/state", Json("{}"), Ct), HttpStatusCode.BadRequest, "ERR_MALFORMED_REQUEST");
        Assert.Equal("""{"x":[1,2]}""", await host.GetStringAsync($"{Actor}/state/k1", Ct));
        using (var deleted = await host.PostAsync($"{Actor}/state", Json("""[{"operation":"delete","request":{"key":"k1"}}]"""), Ct))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }

        using (var gone = await host.GetAsync($"{Actor}/state/k1", Ct))
        {
            Assert.Equal(HttpStatusCode.NoContent, gone.StatusCode);
        }

        Assert.Equal("\"s\"", await host.GetStringAsync($"{Actor}/state/k2", Ct));

        // Reminders: create, read back, no silent overwrite when asked, invalid times and bodies, idempotent delete.
        using (var created = await host.PutAsync($"{Actor}/reminders/r", Json("""{"dueTime":"1h","period":"R2/PT1S","ttl":"2h","data":{"n":1}}"""), Ct))
        {
            Assert.Equal(HttpStatusCode.NoContent, created.StatusCode);
        }

        using (var reminder = JsonDocument.Parse(await host.GetStringAsync($"{Actor}/reminders/r", Ct)))
        {
            Assert.Equal("1h", reminder.RootElement.GetProperty("dueTime").GetString());
            Assert.Equal("R2/PT1S", reminder.RootElement.GetProperty("period").GetString());
            Assert.Equal("2h", reminder.RootElement.GetProperty("ttl").GetString());
            Assert.Equal("""{"n":1}""", reminder.RootElement.GetProperty("data").GetRawText());
        }

        await AssertErrorAsync(await host.PostAsync($"{Actor}/reminders/r", Json("""{"dueTime":"1h","overwrite":false}"""), Ct), HttpStatusCode.Conflict, "ERR_ACTOR_REMINDER_ALREADY_EXISTS");
        await AssertErrorAsync(await host.PostAsync($"{Actor}/reminders/bad", Json("""{"period":"soon"}"""), Ct), HttpStatusCode.InternalServerError, "ERR_ACTOR_REMINDER_CREATE");
        await AssertErrorAsync(await host.PostAsync($"{Actor}/reminders/bad", Json("""{"dueTime":"1s","ttl":"2000-01-01T00:00:00Z"}"""), Ct), HttpStatusCode.InternalServerError, "ERR_ACTOR_REMINDER_CREATE");
        await AssertErrorAsync(await host.PostAsync($"{Actor}/reminders/bad", Json("{"), Ct), HttpStatusCode.BadRequest, "ERR_MALFORMED_REQUEST");
        await AssertErrorAsync(await host.PostAsync($"{Actor}/timers/bad", Json("""{"dueTime":5}"""), Ct), HttpStatusCode.BadRequest, "ERR_MALFORMED_REQUEST");
        for (var i = 0; i < 2; i++)
        {
            using var deleted = await host.DeleteAsync($"{Actor}/reminders/r", Ct);
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }

        await AssertErrorAsync(await host.GetAsync($"{Actor}/reminders/r", Ct), HttpStatusCode.NotFound, "ERR_ACTOR_REMINDER_NOT_FOUND");

        // Names with reserved characters, and the API token.
        await AssertErrorAsync(await host.PostAsync("/v1.0/actors/CounterActor/a%23b/method/Read", Json("{}"), Ct), HttpStatusCode.BadRequest, "ERR_BAD_REQUEST");
        using var anonymous = harness.Cluster[Host].ClientFor();
        using var denied = await anonymous.GetAsync($"{Actor}/state/k2", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, denied.StatusCode);
    }

    [Fact]
    public async Task Idle_actors_are_deactivated_and_come_back_with_their_state()
    {
        await using var harness = await ActorHarness.StartAsync([Host], options =>
        {
            options.ActorIdleTimeout = TimeSpan.FromMilliseconds(300);
            options.ActorScanInterval = TimeSpan.FromMilliseconds(50);
        });
        var probe = harness[Host].Probe;
        Assert.Equal(1, await harness.Proxy("i").InvokeMethodAsync<int, int>("Add", 1, Ct));
        await probe.WaitUntilAsync(e => e.Any(x => x.Kind == "deactivate" && x.Id == "i"), "the idle deactivation");
        Assert.Contains(probe.Events, e => e.Kind == "request" && e.Id == "DELETE /actors/CounterActor/i");

        Assert.Equal(2, await harness.Proxy("i").InvokeMethodAsync<int, int>("Add", 1, Ct));
        Assert.Equal(2, probe.Count("activate", "i"));
        Assert.Empty(harness.Ledger.Violations);
    }

    [Fact]
    public async Task Reentrant_calls_enter_the_turn_in_progress_when_the_app_enables_reentrancy()
    {
        await using var harness = await ActorHarness.StartAsync([Host], options => options.ReentrancyConfig = new ActorReentrancyConfig { Enabled = true });
        Assert.Equal(3, await harness.Proxy("self").InvokeMethodAsync<int, int>("AddViaSelf", 3, Ct));
        Assert.Equal(3, await harness.Proxy("self").InvokeMethodAsync<int>("Read", Ct));
    }

    [Theory]
    [InlineData("0h0m1s500ms", 1500)]
    [InlineData("1h2m3s4ms", 3723004)]
    [InlineData("1.5s", 1500)]
    [InlineData("250ms", 250)]
    [InlineData("0", 0)]
    [InlineData("PT5S", 5000)]
    [InlineData("P1DT2H", 93600000)]
    [InlineData("P1W", 604800000)]
    public void Durations_parse_in_go_and_iso_8601_forms(string text, long milliseconds)
    {
        Assert.True(DaprTime.TryParseDuration(text, out var value));
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("5")]
    [InlineData("5x")]
    [InlineData("P")]
    [InlineData("PT1.5S")]
    [InlineData("soon")]
    public void Invalid_durations_are_rejected(string text) => Assert.False(DaprTime.TryParseDuration(text, out _));

    [Fact]
    public void Periods_take_repetitions_and_due_times_take_timestamps()
    {
        Assert.True(DaprTime.TryParsePeriod("R3/PT1S", out var period, out var repetitions));
        Assert.Equal(TimeSpan.FromSeconds(1), period);
        Assert.Equal(3, repetitions);
        Assert.True(DaprTime.TryParsePeriod("@every 2s", out period, out repetitions));
        Assert.Equal(TimeSpan.FromSeconds(2), period);
        Assert.Null(repetitions);
        Assert.True(DaprTime.TryParsePeriod(string.Empty, out period, out _));
        Assert.Equal(TimeSpan.Zero, period);
        Assert.False(DaprTime.TryParsePeriod("R0/PT1S", out _, out _));

        var now = new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);
        Assert.True(DaprTime.TryParseDueTime("2024-01-01T00:00:10Z", now, out var due));
        Assert.Equal(now.AddSeconds(10), due);
        Assert.True(DaprTime.TryParseDueTime("PT1M", now, out due));
        Assert.Equal(now.AddMinutes(1), due);
        Assert.True(DaprTime.TryParseTtl("30s", due, out var expires));
        Assert.Equal(now.AddSeconds(90), expires);
    }

    private static int Reminders(IReadOnlyList<ProbeEvent> events, string id, string name) =>
        events.Count(e => e.Kind == "reminder" && e.Id == id && e.Name == name);

    /// <summary>
    /// Asserts <paramref name="id"/> gets no more <paramref name="kind"/> callbacks: a control reminder on another actor fires
    /// three times (a late callback already under way may land meanwhile), then three more with the count unchanged.
    /// </summary>
    private static async Task AssertStoppedAsync(ActorHarness harness, ActorProbe probe, string kind, string id)
    {
        var control = "control-" + Guid.NewGuid().ToString("N");
        await harness.Proxy(control).InvokeMethodAsync("StartReminder", new ScheduleRequest("control", "c", 0, 50), Ct);
        var app = harness[Host];
        await app.Probe.WaitUntilAsync(e => Reminders(e, control, "control") >= 3, "the control reminder");
        var settled = probe.Events.Count(e => e.Kind == kind && e.Id == id);
        await app.Probe.WaitUntilAsync(e => Reminders(e, control, "control") >= 6, "the control reminder");
        Assert.Equal(settled, probe.Events.Count(e => e.Kind == kind && e.Id == id));
        await harness.Proxy(control).InvokeMethodAsync("StopReminder", "control", Ct);
    }

    private static async Task EventuallyAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + TestApp.Timeout;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}");
            await Task.Delay(TimeSpan.FromMilliseconds(20), Ct);
        }
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static async Task<string> AssertErrorAsync(HttpResponseMessage response, HttpStatusCode status, string errorCode)
    {
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(Ct);
            Assert.True(status == response.StatusCode, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
            using var document = JsonDocument.Parse(body);
            Assert.Equal(errorCode, document.RootElement.GetProperty("errorCode").GetString());
            return document.RootElement.GetProperty("message").GetString()!;
        }
    }
}
