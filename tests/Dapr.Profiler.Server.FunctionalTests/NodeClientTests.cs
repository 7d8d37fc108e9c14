using System.Globalization;
using Dapr.Profiler.Server.FunctionalTests.Hosting;
using Dapr.Profiler.Server.FunctionalTests.Support;
using Dapr.Profiler.TestKit;

namespace Dapr.Profiler.Server.FunctionalTests;

/// <summary>
/// The real Pyroscope Node.js client from npm profiles a real workload (tests/testdata/generators/node/workload.js)
/// and pushes to the whole server: @pyroscope/nodejs 0.6.4 (raw pprof, <c>format=pprof</c>) and 0.6.1 (multipart),
/// both at once against one server. Then the query API shows what they pushed, the way Grafana asks for it.
/// </summary>
public sealed class NodeClientTests(NodeClientTests.Workloads workloads) : IClassFixture<NodeClientTests.Workloads>
{
    private const string Service = "node-corpus";
    private const string Wall = "wall:wall:nanoseconds:wall:nanoseconds";
    private const string WallCpu = "wall:cpu:nanoseconds:wall:nanoseconds";
    private const string WallSamples = "wall:samples:count:wall:nanoseconds";
    private const string InuseSpace = "memory:inuse_space:bytes:inuse_space:bytes";

    private static readonly string[] PushedTypes = [Wall, WallCpu, WallSamples, InuseSpace];

    public static TheoryData<string> Modules => [NodeClients.Current, NodeClients.Legacy];

    public static TheoryData<string, string> ModulesAndTypes => new()
    {
        { NodeClients.Current, Wall },
        { NodeClients.Current, WallCpu },
        { NodeClients.Current, WallSamples },
        { NodeClients.Current, InuseSpace },
        { NodeClients.Legacy, Wall },
        { NodeClients.Legacy, WallCpu },
        { NodeClients.Legacy, WallSamples },
        { NodeClients.Legacy, InuseSpace },
    };

    [Theory]
    [MemberData(nameof(Modules))]
    public async Task Client_RanToCompletion_AndItsProfileTypesServiceAndSeriesAreListed(string module)
    {
        var run = workloads.Run(module);
        Assert.True(run.ExitCode == 0 && run.StandardOutput.Contains("workload done", StringComparison.Ordinal), run.ToString());
        var querier = new Querier(workloads.Server);
        var (start, end) = (workloads.StartMs, workloads.EndMs);

        var types = await querier.ProfileTypesAsync(start, end);
        Assert.All(PushedTypes, t => Assert.Contains(t, types));

        var mine = Selector(module);
        Assert.Contains(Service, await querier.LabelValuesAsync("service_name", mine, start, end));
        Assert.Equal([NodeClients.Version(module)], await querier.LabelValuesAsync("otel_scope_version", mine, start, end));

        var series = await querier.SeriesAsync(["service_name", "__profile_type__"], mine, start, end);
        Assert.All(PushedTypes, t => Assert.Contains($"__profile_type__={t},service_name={Service}", series));
        Assert.All(series, s => Assert.EndsWith($",service_name={Service}", s, StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Modules))]
    public async Task WallFlameGraph_HasTheWorkloadsOwnFunctions_AndAboutTheRunsDuration(string module)
    {
        var querier = new Querier(workloads.Server);
        var graph = await querier.MergeAsync(Wall, Selector(module), workloads.StartMs, workloads.EndMs);

        Assert.True(graph.Total > 0, $"{module}: the wall flame graph is empty\n{workloads.Run(module)}\n{workloads.Server.Logs}");
        Assert.Contains(graph.Names, n => n.Contains("fibRecursive", StringComparison.Ordinal) && n.Contains("workload.js", StringComparison.Ordinal));
        Assert.Contains(graph.Names, n => n.Contains("buildStrings", StringComparison.Ordinal) && n.Contains("workload.js", StringComparison.Ordinal));

        // Wall time is wall-clock time: ~10 s of it, however busy the machine was (nothing lost, nothing twice).
        var seconds = graph.Total / 1e9;
        Assert.True(seconds is > 5 and < 15, $"{module}: {seconds.ToString(CultureInfo.InvariantCulture)} s of wall time for a 10 s run");

        // The flame graph is consistent: self values add up to the total.
        Assert.Equal(graph.Total, Querier.SelfByFunction(graph).Values.Sum());
        var cpu = await querier.MergeAsync(WallCpu, Selector(module), workloads.StartMs, workloads.EndMs);
        Assert.Contains(cpu.Names, n => n.Contains("fibRecursive", StringComparison.Ordinal));
        Assert.True(cpu.Total > 0);
    }

    [Theory]
    [MemberData(nameof(ModulesAndTypes))]
    public async Task SelectSeries_AndRender_AgreeWithTheMergedTotal(string module, string profileType)
    {
        var querier = new Querier(workloads.Server);
        var (start, end) = (workloads.StartMs, workloads.EndMs);
        var total = (await querier.MergeAsync(profileType, Selector(module), start, end)).Total;
        Assert.True(total > 0, $"{module} {profileType}: nothing merged\n{workloads.Run(module)}\n{workloads.Server.Logs}");

        foreach (var step in new[] { 1.0, 5.0, 15.0 })
        {
            var series = await querier.SelectSeriesAsync(profileType, Selector(module), start, end, step);
            var points = series.Series.SelectMany(s => s.Points).ToArray();
            var context = FormattableString.Invariant(
                $"{module} {profileType} step {step} s over [{start}, {end}]: merged total {total}, points {string.Join(", ", points.Select(p => FormattableString.Invariant($"{p.Timestamp}={p.Value}")))}");
            Assert.True(points.Length > 0, context);
            Assert.True(total == Querier.PointSum(series), context);
            Assert.All(points, p => Assert.InRange(p.Timestamp, start, end + (long)(step * 1000)));
        }

        // The flames a person sees in the old UI: the same merge.
        var render = await querier.RenderAsync(profileType, Selector(module), start, end);
        Assert.Equal(total, render.GetProperty("flamebearer").GetProperty("numTicks").GetInt64());
    }

    [Fact]
    public async Task BothClients_AddUpInTheServicesMerge()
    {
        var querier = new Querier(workloads.Server);
        var (start, end) = (workloads.StartMs, workloads.EndMs);
        foreach (var type in PushedTypes)
        {
            var all = await querier.MergeAsync(type, $"{{service_name=\"{Service}\"}}", start, end);
            var current = await querier.MergeAsync(type, Selector(NodeClients.Current), start, end);
            var legacy = await querier.MergeAsync(type, Selector(NodeClients.Legacy), start, end);
            Assert.Equal(current.Total + legacy.Total, all.Total);
        }

        // The client's tags are series labels too.
        var env = await querier.LabelValuesAsync("env", $"{{service_name=\"{Service}\"}}", start, end);
        Assert.Equal(["test"], env);
    }

    private static string Selector(string module) =>
        $"{{service_name=\"{Service}\",otel_scope_version=\"{NodeClients.Version(module)}\"}}";

    /// <summary>Installs the clients (once per machine), starts a server and runs both clients' workloads against it.</summary>
    public sealed class Workloads : IAsyncLifetime
    {
        private static readonly TimeSpan Duration = TimeSpan.FromSeconds(10);
        private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);

        private InProcessServer? _server;
        private Dictionary<string, ProcessResult> _runs = [];

        public InProcessServer Server => _server ?? throw new InvalidOperationException("not started");

        /// <summary>Before the first profile (a minute of slack for clock rounding).</summary>
        public long StartMs { get; private set; }

        /// <summary>After the last push, a whole number of 15 s steps after <see cref="StartMs"/>.</summary>
        public long EndMs { get; private set; }

        public ProcessResult Run(string module) => _runs[module];

        public async ValueTask InitializeAsync()
        {
            // Install first, so the run below measures only the workloads.
            await NodeClients.EnsureInstalledAsync(CancellationToken.None);
            _server = await InProcessServer.StartAsync();
            StartMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - 60_000;
            var port = _server.BaseAddress.Port;
            var modules = new[] { NodeClients.Current, NodeClients.Legacy };
            var runs = await Task.WhenAll(modules.Select(m => NodeClients.RunWorkloadAsync(port, m, Duration, Deadline, CancellationToken.None)));
            _runs = modules.Zip(runs).ToDictionary(p => p.First, p => p.Second, StringComparer.Ordinal);

            // SelectSeries has points on the edges start + k·step ≤ end only, so a profile after the last edge is in
            // no point (as in Pyroscope): a range of whole 15 s steps keeps every profile in a point for steps 1, 5, 15.
            var after = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 1_000;
            EndMs = StartMs + ((after - StartMs + 14_999) / 15_000 * 15_000);
        }

        public async ValueTask DisposeAsync()
        {
            if (_server is not null)
            {
                await _server.DisposeAsync();
            }
        }
    }
}
