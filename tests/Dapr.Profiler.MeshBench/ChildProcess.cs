using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Dapr.Profiler.MeshBench;

/// <summary>
/// A <c>dotnet X.dll</c> child process with captured output (the last lines kept for failure messages). Every
/// started child is tracked so that <see cref="KillAll"/> can end them even when the bench is interrupted.
/// </summary>
internal sealed class ChildProcess : IAsyncDisposable
{
    private const int KeptLines = 400;

    private static readonly List<ChildProcess> Live = [];

    /// <summary>Dapr's variables: a child only gets them when asked (they select the mesh).</summary>
    private static readonly string[] MeshVariables = ["DAPR_HTTP_PORT", "DAPR_GRPC_PORT", "DAPR_API_TOKEN", "APP_API_TOKEN"];

    private readonly Process _process;
    private readonly Queue<string> _tail = new();
    private readonly StringBuilder _stdout = new();
    private readonly bool _keepStdout;
    private bool _disposed;

    private ChildProcess(string name, Process process, bool keepStdout)
    {
        Name = name;
        _process = process;
        _keepStdout = keepStdout;
    }

    public string Name { get; }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>The whole standard output (only for processes started with <c>keepStdout</c>).</summary>
    public string StandardOutput
    {
        get
        {
            lock (_tail)
            {
                return _stdout.ToString();
            }
        }
    }

    /// <summary>The last lines of stdout and stderr.</summary>
    public string Tail
    {
        get
        {
            lock (_tail)
            {
                return string.Join('\n', _tail);
            }
        }
    }

    /// <summary>Starts <c>dotnet {dll} {args}</c> from the bench's own output directory.</summary>
    public static ChildProcess Start(string name, string dll, IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null, bool keepStdout = false)
    {
        var path = Path.Combine(AppContext.BaseDirectory, dll);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{dll} is not next to the bench (project reference)", path);
        }

        var start = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        start.ArgumentList.Add(path);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment.Remove("ASPNETCORE_URLS");
        start.Environment.Remove("DOTNET_URLS");
        start.Environment.Remove("ASPNETCORE_HTTP_PORTS");
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var variable in MeshVariables)
        {
            start.Environment.Remove(variable);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var child = new ChildProcess(name, process, keepStdout);
        process.OutputDataReceived += (_, e) => child.OnLine(e.Data, stdout: true);
        process.ErrorDataReceived += (_, e) => child.OnLine(e.Data, stdout: false);
        lock (Live)
        {
            if (!process.Start())
            {
                throw new InvalidOperationException($"{name} did not start");
            }

            Live.Add(child);
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>Kills every child still running (Ctrl-C, process exit).</summary>
    public static void KillAll()
    {
        ChildProcess[] live;
        lock (Live)
        {
            live = [.. Live];
        }

        foreach (var child in live)
        {
            child.Kill();
        }
    }

    /// <summary>Polls <c>GET {baseAddress}ready</c> until 200; fails early if the process exits.</summary>
    public async Task WaitReadyAsync(Uri baseAddress, TimeSpan timeout)
    {
        using var http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (HasExited)
            {
                throw new InvalidOperationException($"{Name} exited ({ExitCode}) before it was ready:\n{Tail}");
            }

            if (deadline.Elapsed > timeout)
            {
                throw new TimeoutException($"{Name} was not ready at {baseAddress} within {timeout}:\n{Tail}");
            }

            try
            {
                using var response = await http.GetAsync(new Uri("ready", UriKind.Relative));
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet.
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Waits for the process to exit; kills it (and fails) after <paramref name="timeout"/>.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException ex)
        {
            Kill();
            throw new TimeoutException($"{Name} did not finish within {timeout}:\n{Tail}", ex);
        }

        _process.WaitForExit();
        return _process.ExitCode;
    }

    /// <summary>Free loopback ports: bound to port 0 together (so they differ), then released.</summary>
    public static int[] FreePorts(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        try
        {
            foreach (var listener in listeners)
            {
                listener.Start();
            }

            return [.. listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port)];
        }
        finally
        {
            foreach (var listener in listeners)
            {
                listener.Stop();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        Kill();
        try
        {
            await _process.WaitForExitAsync();
        }
        catch (InvalidOperationException)
        {
            // Never started.
        }

        lock (Live)
        {
            Live.Remove(this);
        }

        _process.Dispose();
    }

    private static string DotnetHost()
    {
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

    private void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Not started or already gone.
        }
    }

    private void OnLine(string? line, bool stdout)
    {
        if (line is null)
        {
            return;
        }

        lock (_tail)
        {
            if (stdout && _keepStdout)
            {
                _stdout.AppendLine(line);
            }

            _tail.Enqueue(stdout ? line : "[stderr] " + line);
            while (_tail.Count > KeptLines)
            {
                _tail.Dequeue();
            }
        }
    }
}
