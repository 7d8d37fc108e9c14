using System.Globalization;
using Dapr.Profiler.Server.FunctionalTests.Hosting;
using Dapr.Profiler.Server.FunctionalTests.Support;
using Dapr.Profiler.TestKit;
using Google.Protobuf;

namespace Dapr.Profiler.Server.FunctionalTests;

/// <summary>
/// Real Go profiles (runtime/pprof: CPU, heap, allocs, mutex, goroutine) uploaded raw with <c>format=pprof</c>, one
/// service each, then read back through the query API: totals and per-function self values equal what an
/// independent reader (the JavaScript expectations) found, and the merged pprof is read by the real Go toolchain's
/// <c>go tool pprof</c> with the same numbers.
/// </summary>
public sealed class GoProfileTests(GoProfileTests.Uploaded uploaded) : IClassFixture<GoProfileTests.Uploaded>
{
    /// <summary>The service that gets two CPU profiles: its merge is their sum.</summary>
    private const string PairService = "go-cpu-pair";

    private static readonly string[] PairFiles = ["go-cpu-3.pb.gz", "go-cpu-4.pb.gz"];

    private static readonly string[] SingleFiles = ["go-cpu.pb.gz", "go-cpu-2.pb.gz", "go-heap.pb.gz", "go-allocs.pb.gz", "go-mutex.pb.gz", "go-goroutine.pb.gz"];

    /// <summary>Every sample type of every single-service file.</summary>
    public static TheoryData<string, string> Cases
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (var file in SingleFiles)
            {
                foreach (var (type, _) in Corpus.Expect(file).SampleTypes)
                {
                    data.Add(file, type);
                }
            }

            return data;
        }
    }

    /// <summary>The types <c>go tool pprof</c> checks: CPU time, heap space and objects, allocations, mutex delay.</summary>
    public static TheoryData<string, string> PprofCases => new()
    {
        { "go-cpu.pb.gz", "cpu" },
        { "go-cpu-2.pb.gz", "samples" },
        { "go-heap.pb.gz", "inuse_space" },
        { "go-heap.pb.gz", "alloc_objects" },
        { "go-allocs.pb.gz", "alloc_space" },
        { "go-mutex.pb.gz", "delay" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task MergedFlameGraph_HasTheIndependentTotalAndSelfPerFunction(string file, string sampleType)
    {
        var expectation = Corpus.Expect(file);
        var graph = await new Querier(uploaded.Server).MergeAsync(ProfileTypeId(file, sampleType), ServiceSelector(file), uploaded.StartMs, uploaded.EndMs);

        Assert.True(expectation.Totals[sampleType] == graph.Total, $"{file} {sampleType}: total {graph.Total}, independent reader {expectation.Totals[sampleType]}\n{uploaded.Server.Logs}");
        AssertSameSelf(NonZero(expectation.FunctionSelf[sampleType]), Querier.SelfByFunction(graph), $"{file} {sampleType} flame graph");
    }

    [Fact]
    public async Task EachService_ListsTheProfileTypesAPyroscopeServerDerives()
    {
        var querier = new Querier(uploaded.Server);
        var all = await querier.ProfileTypesAsync(uploaded.StartMs, uploaded.EndMs);
        foreach (var file in SingleFiles)
        {
            var expected = Corpus.Expect(file).SampleTypes.Select(t => ProfileTypeId(file, t.Type)).Order(StringComparer.Ordinal).ToArray();
            var series = await querier.SeriesAsync(["__profile_type__"], ServiceSelector(file), uploaded.StartMs, uploaded.EndMs);
            Assert.Equal(expected.Select(t => "__profile_type__=" + t), series.Order(StringComparer.Ordinal));
            Assert.All(expected, t => Assert.Contains(t, all));
        }

        var services = await querier.LabelValuesAsync("service_name", "{}", uploaded.StartMs, uploaded.EndMs);
        Assert.Equal(SingleFiles.Select(Service).Append(PairService).Order(StringComparer.Ordinal), services.Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(PprofCases))]
    public async Task MergedPprof_IsReadByGoToolPprof_WithTheIndependentFlatValues(string file, string sampleType)
    {
        var expectation = Corpus.Expect(file);
        var profile = await new Querier(uploaded.Server).MergeProfileAsync(ProfileTypeId(file, sampleType), ServiceSelector(file), uploaded.StartMs, uploaded.EndMs);
        var top = await TopAsync(profile, sampleType, expectation.SampleTypes.Single(t => t.Type == sampleType).Unit);

        Assert.Equal(sampleType, top.Type);
        Assert.True(expectation.Totals[sampleType] == top.Total, $"{file} {sampleType}: go tool pprof total {top.Total}, independent reader {expectation.Totals[sampleType]}\n{top.Output}");
        AssertSameSelf(NonZero(expectation.FunctionSelf[sampleType]), NonZero(top.Flat), $"{file} {sampleType} go tool pprof -top\n{top.Output}");
    }

    [Fact]
    public async Task TwoCpuProfilesOfOneService_MergeToTheSumOfTheirTotals()
    {
        var querier = new Querier(uploaded.Server);
        var selector = $"{{service_name=\"{PairService}\"}}";
        foreach (var sampleType in new[] { "cpu", "samples" })
        {
            var expectedTotal = PairFiles.Sum(f => Corpus.Expect(f).Totals[sampleType]);
            var expectedSelf = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (var (function, self) in PairFiles.SelectMany(f => Corpus.Expect(f).FunctionSelf[sampleType]))
            {
                expectedSelf[function] = expectedSelf.GetValueOrDefault(function) + self;
            }

            var type = ProfileTypeId(PairFiles[0], sampleType);
            var graph = await querier.MergeAsync(type, selector, uploaded.StartMs, uploaded.EndMs);
            Assert.Equal(expectedTotal, graph.Total);
            AssertSameSelf(NonZero(expectedSelf), Querier.SelfByFunction(graph), $"{PairService} {sampleType}");

            var series = await querier.SelectSeriesAsync(type, selector, uploaded.StartMs, uploaded.EndMs, 1);
            Assert.Equal(expectedTotal, Querier.PointSum(series));
            Assert.Equal(2, series.Series.Single().Points.Count);

            var top = await TopAsync(await querier.MergeProfileAsync(type, selector, uploaded.StartMs, uploaded.EndMs), sampleType, sampleType == "cpu" ? "nanoseconds" : "count");
            Assert.Equal(expectedTotal, top.Total);
            AssertSameSelf(NonZero(expectedSelf), NonZero(top.Flat), $"{PairService} {sampleType} go tool pprof\n{top.Output}");
        }
    }

    /// <summary>The profile type id a Pyroscope server gives a sample type of a Go profile uploaded to /ingest.</summary>
    internal static string ProfileTypeId(string file, string sampleType)
    {
        var expectation = Corpus.Expect(file);
        var unit = expectation.SampleTypes.Single(t => t.Type == sampleType).Unit;
        var name = file switch
        {
            _ when file.StartsWith("go-cpu", StringComparison.Ordinal) => "process_cpu",
            "go-heap.pb.gz" or "go-allocs.pb.gz" => "memory",
            "go-mutex.pb.gz" => "mutex",
            "go-goroutine.pb.gz" => "goroutines",
            _ => throw new ArgumentOutOfRangeException(nameof(file), file, "not a Go corpus profile"),
        };
        var (periodType, periodUnit) = expectation.PeriodType ?? (string.Empty, string.Empty);
        return $"{name}:{sampleType}:{unit}:{periodType}:{periodUnit}";
    }

    private static string Service(string file) => file.Replace(".pb.gz", string.Empty, StringComparison.Ordinal);

    private static string ServiceSelector(string file) => $"{{service_name=\"{Service(file)}\"}}";

    private static async Task<PprofTop> TopAsync(Protos.Pprof.Profile profile, string sampleType, string unit)
    {
        Assert.Contains(profile.SampleType, t => profile.StringTable[(int)t.Type] == sampleType);
        var path = Path.Combine(Path.GetTempPath(), "dprof-merged-" + Guid.NewGuid().ToString("N")[..12] + ".pb.gz");
        try
        {
            await File.WriteAllBytesAsync(path, IngestRequests.Gzip(profile.ToByteArray()), TestContext.Current.CancellationToken);
            return await GoPprof.TopAsync(path, sampleType, unit, TestContext.Current.CancellationToken);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static Dictionary<string, long> NonZero(IReadOnlyDictionary<string, long> values) =>
        values.Where(kv => kv.Value != 0).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);

    private static void AssertSameSelf(IReadOnlyDictionary<string, long> expected, IReadOnlyDictionary<string, long> actual, string context)
    {
        var differences = expected.Keys.Union(actual.Keys)
            .Where(f => expected.GetValueOrDefault(f) != actual.GetValueOrDefault(f))
            .Select(f => string.Create(CultureInfo.InvariantCulture, $"{f}: expected {expected.GetValueOrDefault(f)}, got {actual.GetValueOrDefault(f)}"))
            .ToArray();
        Assert.True(differences.Length == 0, $"{context}: self per function differs from the independent reader:\n{string.Join('\n', differences)}");
    }

    /// <summary>One server with every Go corpus profile uploaded as its real client would (raw, format=pprof).</summary>
    public sealed class Uploaded : IAsyncLifetime
    {
        private InProcessServer? _server;

        public InProcessServer Server => _server ?? throw new InvalidOperationException("not started");

        /// <summary>Ten minutes before the earliest profile.</summary>
        public long StartMs { get; private set; }

        /// <summary>Ten minutes after the latest profile.</summary>
        public long EndMs { get; private set; }

        public async ValueTask InitializeAsync()
        {
            _server = await InProcessServer.StartAsync();
            var uploads = SingleFiles.Select(f => (File: f, Service: Service(f))).Concat(PairFiles.Select(f => (File: f, Service: PairService))).ToArray();
            foreach (var (file, service) in uploads)
            {
                var name = Uri.EscapeDataString(service + "{env=go}");
                await _server.SendOkAsync(IngestRequests.Ingest(
                    $"/ingest?format=pprof&name={name}&spyName=gospy", IngestRequests.Bytes(Corpus.ReadProfile(file))));
            }

            var times = uploads.Select(u => Corpus.Expect(u.File).TimeNanos / 1_000_000).ToArray();
            StartMs = times.Min() - 600_000;
            EndMs = times.Max() + 600_000;
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
