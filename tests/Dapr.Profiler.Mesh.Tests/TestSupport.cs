using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Dapr.Profiler.Mesh.Tests;

/// <summary>A fresh directory for one test, removed afterwards.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = System.IO.Path.Join(System.IO.Path.GetTempPath(), "dapr-profiler-tests", "mesh-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }
}

/// <summary>Waiting on a condition with a deadline, instead of sleeping a fixed time.</summary>
internal static class Eventually
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    public static async Task WaitUntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"timed out waiting until {what}");
            }

            await Task.Delay(10, TestContext.Current.CancellationToken);
        }
    }

    public static Task<T> WithTimeout<T>(this Task<T> task) => task.WaitAsync(DefaultTimeout, TestContext.Current.CancellationToken);

    public static Task WithTimeout(this Task task) => task.WaitAsync(DefaultTimeout, TestContext.Current.CancellationToken);
}

/// <summary>Log entries kept in memory, to assert what was logged.</summary>
internal sealed class ListLoggerProvider : ILoggerProvider
{
    public ConcurrentQueue<(LogLevel Level, EventId EventId, string Message, Exception? Exception)> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new ListLogger(this);

    public void Dispose()
    {
    }

    private sealed class ListLogger(ListLoggerProvider provider) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            provider.Entries.Enqueue((logLevel, eventId, formatter(state, exception), exception));
    }
}

/// <summary>Builds, starts and disposes runtimes on one data directory, as a process would across restarts.</summary>
internal sealed class RuntimeFixture : IAsyncDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly List<InProcessActorRuntime> _runtimes = [];

    public string DataDirectory => _dir.Path;

    public ListLoggerProvider Logs { get; } = new();

    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(60);

    public TimeSpan ScanInterval { get; set; } = TimeSpan.FromSeconds(30);

    public InProcessActorRuntime Create(ActorRegistry registry)
    {
        var options = Options.Create(new ActorRuntimeOptions
        {
            DataDirectory = DataDirectory,
            ActorIdleTimeout = IdleTimeout,
            ScanInterval = ScanInterval,
        });
        var loggerFactory = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(Logs));
        var runtime = new InProcessActorRuntime(registry, options, loggerFactory, TimeProvider.System);
        _runtimes.Add(runtime);
        return runtime;
    }

    public async Task<InProcessActorRuntime> StartAsync(ActorRegistry registry)
    {
        var runtime = Create(registry);
        await runtime.StartAsync(TestContext.Current.CancellationToken);
        return runtime;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var runtime in _runtimes)
        {
            await runtime.DisposeAsync();
        }

        _dir.Dispose();
    }
}
