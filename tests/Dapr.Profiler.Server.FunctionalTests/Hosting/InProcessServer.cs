using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;

namespace Dapr.Profiler.Server.FunctionalTests.Hosting;

/// <summary>
/// The same application as the executable, built in the test process (<c>AddProfilerServer</c> and
/// <c>MapProfilerServer</c>) on a free loopback port and its own temporary data directory, which dispose removes.
/// </summary>
public sealed class InProcessServer : IProfilerServer
{
    private readonly WebApplication _app;
    private readonly TempDirectory? _ownedDirectory;
    private readonly LogCapture _logs;
    private bool _disposed;

    private InProcessServer(WebApplication app, Uri baseAddress, string dataDirectory, TempDirectory? ownedDirectory, LogCapture logs)
    {
        _app = app;
        _ownedDirectory = ownedDirectory;
        _logs = logs;
        BaseAddress = baseAddress;
        DataDirectory = dataDirectory;
        Client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(60) };
    }

    public Uri BaseAddress { get; }

    public string DataDirectory { get; }

    public HttpClient Client { get; }

    public string Logs => _logs.Text;

    /// <summary>The server's services, for tests that use the in-process mesh directly (publishing events).</summary>
    public IServiceProvider Services => _app.Services;

    /// <summary>Starts a server on a new temporary data directory (removed on dispose).</summary>
    public static Task<InProcessServer> StartAsync(params string[] extraArgs) => StartOnAsync(null, extraArgs);

    /// <summary>Starts a server on <paramref name="dataDirectory"/>, or on a new temporary one when it is null.</summary>
    public static async Task<InProcessServer> StartOnAsync(string? dataDirectory, params string[] extraArgs)
    {
        var owned = dataDirectory is null ? new TempDirectory() : null;
        var dir = dataDirectory ?? owned!.Path;
        var logs = new LogCapture();
        WebApplication? app = null;
        try
        {
            var builder = WebApplication.CreateBuilder(new WebApplicationOptions
            {
                // Retention off: the committed corpus carries the fixed times it was recorded at (see ServerProcess).
                Args = ["--urls", "http://127.0.0.1:0", "--data-dir", dir, "--Server:ExposeInternalMethods=true", "--Retention:Period=00:00:00", .. extraArgs],
                ContentRootPath = AppContext.BaseDirectory,
                EnvironmentName = "Production",
            });
            builder.Logging.ClearProviders();
            builder.Logging.AddProvider(logs);
            builder.AddProfilerServer();
            app = builder.Build();
            app.MapProfilerServer();
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await app.StartAsync(deadline.Token);
            var address = app.Urls.Single();
            var server = new InProcessServer(app, new Uri(address.TrimEnd('/') + "/"), dir, owned, logs);
            await Readiness.WaitUntilReadyAsync(server.Client, () => false, () => logs.Text, deadline.Token);
            return server;
        }
        catch
        {
            if (app is not null)
            {
                await app.DisposeAsync();
            }

            owned?.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        Client.Dispose();
        try
        {
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await _app.StopAsync(deadline.Token);
        }
        finally
        {
            await _app.DisposeAsync();
            _ownedDirectory?.Dispose();
        }
    }

    /// <summary>Keeps what the application logs (Information and above), for assertion messages.</summary>
    private sealed class LogCapture : ILoggerProvider
    {
        private readonly ConcurrentQueue<string> _lines = new();

        public string Text => string.Join('\n', _lines);

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void Dispose()
        {
        }

        private sealed class Logger(LogCapture owner, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (IsEnabled(logLevel))
                {
                    owner._lines.Enqueue($"{logLevel} {category}[{eventId.Id}] {formatter(state, exception)}{(exception is null ? string.Empty : "\n" + exception)}");
                }
            }
        }
    }
}
