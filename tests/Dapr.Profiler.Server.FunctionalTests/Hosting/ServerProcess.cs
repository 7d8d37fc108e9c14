using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;

namespace Dapr.Profiler.Server.FunctionalTests.Hosting;

/// <summary>
/// The real server executable as a child process:
/// <c>dotnet Dapr.Profiler.Server.dll --urls http://127.0.0.1:0 --data-dir DIR [args]</c>. The port is learnt
/// from ASP.NET's <c>Now listening on:</c> line, and the server counts as started once <c>GET /ready</c> is 200.
/// The data directory belongs to the caller, so a new process can be started on it after this one is gone.
/// </summary>
public sealed partial class ServerProcess : IProfilerServer
{
    private const int Sigterm = 15;

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    /// <summary>Dapr's variables: only a test that asks for them gives them to the server (they select the mesh).</summary>
    private static readonly string[] MeshVariables = ["DAPR_HTTP_PORT", "DAPR_GRPC_PORT", "DAPR_API_TOKEN", "APP_API_TOKEN"];

    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly Lock _outputLock = new();
    private readonly TaskCompletionSource<Uri> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Uri? _baseAddress;
    private HttpClient? _client;
    private bool _disposed;

    private ServerProcess(Process process, string dataDirectory)
    {
        _process = process;
        DataDirectory = dataDirectory;
    }

    public Uri BaseAddress => _baseAddress ?? throw new InvalidOperationException("the server has not started");

    public string DataDirectory { get; }

    public HttpClient Client => _client ?? throw new InvalidOperationException("the server has not started");

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    public string Logs
    {
        get
        {
            lock (_outputLock)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Starts the server on <paramref name="dataDirectory"/> and waits until it is ready.</summary>
    public static Task<ServerProcess> StartAsync(string dataDirectory, params string[] extraArgs) =>
        StartAsync(dataDirectory, new Dictionary<string, string>(), extraArgs);

    /// <summary>
    /// Starts the server on <paramref name="dataDirectory"/> with <paramref name="environment"/> added to its
    /// environment (e.g. <c>DAPR_HTTP_PORT</c>) and waits until it is ready.
    /// </summary>
    public static async Task<ServerProcess> StartAsync(string dataDirectory, IReadOnlyDictionary<string, string> environment, params string[] extraArgs)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var dll = Path.Combine(AppContext.BaseDirectory, "Dapr.Profiler.Server.dll");
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException("the server is not in the test output (project reference)", dll);
        }

        var start = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        start.ArgumentList.Add(dll);
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add("http://127.0.0.1:0");
        start.ArgumentList.Add("--data-dir");
        start.ArgumentList.Add(dataDirectory);

        // Tests read the index through the metastore's methods; a server keeps them off its port by default.
        start.ArgumentList.Add("--Server:ExposeInternalMethods=true");

        // The committed corpus carries the fixed times it was recorded at; with the 31-day default retention a restart
        // would drop it once it is old. Tests of retention set the period themselves (a later argument wins).
        start.ArgumentList.Add("--Retention:Period=00:00:00");
        foreach (var arg in extraArgs)
        {
            start.ArgumentList.Add(arg);
        }

        // The test runner's own settings must not leak into the server.
        start.Environment.Remove("ASPNETCORE_URLS");
        start.Environment.Remove("DOTNET_URLS");
        start.Environment.Remove("ASPNETCORE_HTTP_PORTS");
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var name in MeshVariables)
        {
            start.Environment.Remove(name);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var server = new ServerProcess(process, dataDirectory);
        process.OutputDataReceived += (_, e) => server.OnOutput(e.Data, "");
        process.ErrorDataReceived += (_, e) => server.OnOutput(e.Data, "[stderr] ");
        process.Exited += (_, _) => server._listening.TrySetException(
            new InvalidOperationException("the server exited before it listened:\n" + server.Logs));
        if (!process.Start())
        {
            throw new InvalidOperationException("the server process did not start");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            using var deadline = new CancellationTokenSource(StartTimeout);
            server._baseAddress = await server._listening.Task.WaitAsync(deadline.Token);
            server._client = new HttpClient { BaseAddress = server._baseAddress, Timeout = TimeSpan.FromSeconds(60) };
            await Readiness.WaitUntilReadyAsync(server._client, () => process.HasExited, () => server.Logs, deadline.Token);
            return server;
        }
        catch (Exception ex) when (ex is OperationCanceledException or TimeoutException)
        {
            var logs = server.Logs;
            await server.DisposeAsync();
            throw new TimeoutException($"the server did not become ready within {StartTimeout}:\n{logs}", ex);
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>SIGKILL: the process and its children die at once, nothing is flushed or closed.</summary>
    public void KillHard()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.WaitForExit();
    }

    /// <summary>SIGTERM, then waits for the process to exit; returns its exit code.</summary>
    public async Task<int> StopGracefullyAsync(TimeSpan? timeout = null)
    {
        SendSignal(Sigterm);
        using var deadline = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(45));
        try
        {
            await _process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException ex)
        {
            throw new TimeoutException("the server did not exit after SIGTERM:\n" + Logs, ex);
        }

        // WaitForExit without a timeout also waits for the redirected output to be read to its end.
        _process.WaitForExit();
        return _process.ExitCode;
    }

    /// <summary>Sends a POSIX signal to the server process.</summary>
    public void SendSignal(int signal)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
        {
            throw new PlatformNotSupportedException("signals need a POSIX system");
        }

        if (NativeMethods.Kill(_process.Id, signal) != 0)
        {
            throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _client?.Dispose();
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }
        catch (InvalidOperationException)
        {
            // Never started or already reaped.
        }

        _process.Dispose();
    }

    private static string DotnetHost()
    {
        // Set by the dotnet CLI for the processes it starts (dotnet test); otherwise the dotnet on PATH.
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(host) && File.Exists(host))
        {
            return host;
        }

        var root = Environment.GetEnvironmentVariable("DOTNET_ROOT");
        if (!string.IsNullOrEmpty(root) && File.Exists(Path.Combine(root, "dotnet")))
        {
            return Path.Combine(root, "dotnet");
        }

        return "dotnet";
    }

    [GeneratedRegex(@"Now listening on: (?<url>http://\S+)")]
    private static partial Regex ListeningLine();

    private void OnOutput(string? line, string prefix)
    {
        if (line is null)
        {
            return;
        }

        lock (_outputLock)
        {
            _output.Append(prefix).AppendLine(line);
        }

        var match = ListeningLine().Match(line);
        if (match.Success)
        {
            _listening.TrySetResult(new Uri(match.Groups["url"].Value.TrimEnd('/') + "/"));
        }
    }

    /// <summary>libc <c>kill(2)</c>; blittable arguments only, so no unsafe code is needed.</summary>
    private static class NativeMethods
    {
        [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        internal static extern int Kill(int pid, int signal);
    }
}
