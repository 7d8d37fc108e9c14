using Dapr.Profiler.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;

namespace Dapr.Profiler.Cli.Tests;

/// <summary>A real server hosted in the test process on a free loopback port, with its own data directory.</summary>
internal sealed class LoopbackServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string _dataDir;

    private LoopbackServer(WebApplication app, string dataDir)
    {
        _app = app;
        _dataDir = dataDir;
    }

    public string Url => _app.Urls.Single();

    public static async Task<LoopbackServer> StartAsync(params string[] settings)
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "dprof-cli-test-" + Guid.NewGuid().ToString("N"));
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = ["--urls", "http://127.0.0.1:0", "--data-dir", dataDir, .. settings],
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = "Production",
        });
        builder.Logging.ClearProviders();
        builder.AddProfilerServer();
        var app = builder.Build();
        app.MapProfilerServer();
        await app.StartAsync(TestContext.Current.CancellationToken);
        return new LoopbackServer(app, dataDir);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
        try
        {
            Directory.Delete(_dataDir, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temp directory left behind does not fail the test.
        }
    }
}
