using Dapr.Profiler.Block;
using Dapr.Profiler.Mesh;
using Dapr.Profiler.Model;
using Dapr.Profiler.ObjectStorage;
using Dapr.Profiler.Protos.Block;
using Dapr.Profiler.Protos.QueryBackend;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Dapr.Profiler.QueryBackend.Tests;

/// <summary>
/// A query-backend wired as the server wires it, in one process: a real filesystem object store, the service
/// registered through <see cref="QueryBackendRegistration"/>, and the in-process invoker, so MERGE nodes really
/// call <c>Invoke</c> again through the mesh.
/// </summary>
internal sealed class TestCluster : IDisposable
{
    private readonly string _directory;
    private readonly ServiceProvider _provider;

    public TestCluster(IDictionary<string, string?>? settings = null, Func<IObjectStore, IObjectStore>? wrapStore = null)
    {
        _directory = Path.Combine(Path.GetTempPath(), "querybackend-tests-" + Guid.NewGuid().ToString("N"));
        FileStore = new FileSystemObjectStore(_directory);
        Store = wrapStore?.Invoke(FileStore) ?? FileStore;
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings ?? new Dictionary<string, string?>()).Build();
        var services = new ServiceCollection();
        services.AddLogging(b => b.AddProvider(Logs).SetMinimumLevel(LogLevel.Debug));
        services.AddSingleton(Store);
        services.AddSingleton<ServiceMethodRegistry>();
        services.AddSingleton<InProcessServiceInvoker>();
        services.AddSingleton(sp => new CountingInvoker(sp.GetRequiredService<InProcessServiceInvoker>()));
        services.AddSingleton<IServiceInvoker>(sp => sp.GetRequiredService<CountingInvoker>());
        services.AddQueryBackend(configuration);
        _provider = services.BuildServiceProvider(validateScopes: true);
        _provider.GetRequiredService<ServiceMethodRegistry>().MapQueryBackendMethods(_provider);
        Invoker = _provider.GetRequiredService<CountingInvoker>();
    }

    /// <summary>The real store blocks are written to (never wrapped, so writes are not affected by faults).</summary>
    public FileSystemObjectStore FileStore { get; }

    /// <summary>The store the query-backend reads from.</summary>
    public IObjectStore Store { get; }

    public RecordingLoggerProvider Logs { get; } = new();

    public CountingInvoker Invoker { get; }

    public QueryBackendService Service => _provider.GetRequiredService<QueryBackendService>();

    public QueryBackendMetrics Metrics => _provider.GetRequiredService<QueryBackendMetrics>();

    /// <summary>Writes a segment (level 0) of the given series at <c>segments/1/anonymous/{ulid}/block.bin</c>.</summary>
    public async Task<BlockMeta> WriteSegmentAsync(IEnumerable<(string Tenant, ProfileSeries Series)> series)
    {
        var writer = new BlockWriter();
        foreach (var (tenant, s) in series)
        {
            writer.Add(tenant, s);
        }

        var (bytes, meta) = writer.Build(Ulid.NewUlid().ToString(), 1, 0, "tests");
        await FileStore.PutAsync(BlockObjectKeys.Of(meta), bytes, TestContext.Current.CancellationToken);
        Assert.Equal($"segments/1/anonymous/{meta.Id}/block.bin", BlockObjectKeys.Of(meta));
        return meta;
    }

    /// <summary>Writes a segment whose series all belong to one tenant.</summary>
    public Task<BlockMeta> WriteSegmentAsync(string tenant, params IEnumerable<ProfileSeries>[] series) =>
        WriteSegmentAsync(series.SelectMany(s => s).Select(s => (tenant, s)));

    /// <summary>Invokes the root of a plan through the mesh, as the query-frontend does.</summary>
    public Task<InvokeResponse> InvokeAsync(InvokeRequest request) =>
        Invoker.InvokeAsync<InvokeRequest, InvokeResponse>(
            DaprNames.AppIds.QueryBackend, DaprNames.Methods.QueryBackendInvoke, request, TestContext.Current.CancellationToken);

    public void Dispose()
    {
        _provider.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temp directory left behind does not fail a test.
        }
    }
}

/// <summary>Counts invocations (the root call plus every call a MERGE node makes) and passes them on.</summary>
internal sealed class CountingInvoker(IServiceInvoker inner) : IServiceInvoker
{
    private int _calls;

    public int Calls => Volatile.Read(ref _calls);

    public Task<TResponse> InvokeAsync<TRequest, TResponse>(string appId, string method, TRequest request, CancellationToken cancellationToken)
        where TRequest : Google.Protobuf.IMessage<TRequest>
        where TResponse : Google.Protobuf.IMessage<TResponse>, new()
    {
        Interlocked.Increment(ref _calls);
        return inner.InvokeAsync<TRequest, TResponse>(appId, method, request, cancellationToken);
    }
}

/// <summary>Collects log entries for assertions.</summary>
internal sealed class RecordingLoggerProvider : ILoggerProvider
{
    private readonly List<(EventId EventId, LogLevel Level, string Message)> _entries = [];

    public IReadOnlyList<(EventId EventId, LogLevel Level, string Message)> Entries
    {
        get
        {
            lock (_entries)
            {
                return [.. _entries];
            }
        }
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void Dispose()
    {
    }

    private sealed class Logger(RecordingLoggerProvider owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (owner._entries)
            {
                owner._entries.Add((eventId, logLevel, formatter(state, exception)));
            }
        }
    }
}
