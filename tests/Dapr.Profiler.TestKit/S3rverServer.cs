using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace Dapr.Profiler.TestKit;

/// <summary>
/// A real S3-protocol server for tests: <c>s3rver</c> from npm, installed once per machine into a cache folder
/// outside the repository, started on a free loopback port with one bucket and stopped (with its process tree) when
/// disposed. Node.js and npm must be on PATH; CI installs them.
/// </summary>
public sealed partial class S3rverServer : IAsyncDisposable
{
    /// <summary>The pinned s3rver release (its last; the project is unmaintained, so it will not move).</summary>
    public const string Version = "3.7.1";

    /// <summary>s3rver's one built-in access key; it checks SigV4 signatures made with it.</summary>
    public const string DefaultAccessKey = "S3RVER";

    /// <summary>s3rver's one built-in secret key.</summary>
    public const string DefaultSecretKey = "S3RVER";

    private static readonly TimeSpan InstallTimeout = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    private readonly ServerDirectory _data = new();
    private readonly StringBuilder _output = new();
    private Process? _process;

    private S3rverServer(string bucket) => Bucket = bucket;

    /// <summary>The bucket created at start.</summary>
    public string Bucket { get; }

    /// <summary>The server's URL, such as <c>http://127.0.0.1:40123</c>.</summary>
    public string Endpoint { get; private set; } = string.Empty;

    /// <summary>The access key to sign requests with.</summary>
    public string AccessKey { get; } = DefaultAccessKey;

    /// <summary>The secret key to sign requests with.</summary>
    public string SecretKey { get; } = DefaultSecretKey;

    /// <summary>
    /// Installs s3rver when needed and starts it on a free loopback port with <paramref name="bucket"/> created;
    /// returns the running server, to be disposed (which stops it and removes its data).
    /// </summary>
    public static async Task<S3rverServer> StartAsync(string bucket, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(bucket);
        var server = new S3rverServer(bucket);
        try
        {
            await server.StartCoreAsync(cancellationToken);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    private async Task StartCoreAsync(CancellationToken cancellationToken)
    {
        var script = await InstallAsync();

        // Preloaded into node: ends s3rver when its stdin closes, so a test host that dies without disposing this
        // fixture leaves no server behind.
        var watchdog = Path.Join(_data.Path, "exit-with-parent.js");
        await File.WriteAllTextAsync(
            watchdog, "process.stdin.on('end', () => process.exit(0)); process.stdin.on('error', () => process.exit(0)); process.stdin.resume();\n", cancellationToken);
        var serverData = Path.Join(_data.Path, "data");
        var start = new ProcessStartInfo(NodeExecutable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };

        // s3rver encrypts ListObjectsV2 continuation tokens with DES, which OpenSSL 3 (Node 17 and later) only
        // offers through its legacy provider; without it every paginated listing fails with HTTP 500.
        if (await NodeMajorVersionAsync() >= 17)
        {
            start.ArgumentList.Add("--openssl-legacy-provider");
        }

        foreach (var argument in new[]
                 {
                     "--require", watchdog, script, "--directory", serverData, "--address", "127.0.0.1", "--port", "0", "--silent",
                     "--configure-bucket", Bucket,
                 })
        {
            start.ArgumentList.Add(argument);
        }

        // s3rver prints "S3rver listening on 127.0.0.1:PORT" once it listens, with the port the OS chose for port 0.
        var listening = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        _process = new Process { StartInfo = start, EnableRaisingEvents = true };
        _process.OutputDataReceived += (_, e) => OnLine(e.Data, listening);
        _process.ErrorDataReceived += (_, e) => OnLine(e.Data, null);
        _process.Exited += (_, _) => listening.TrySetException(
            new InvalidOperationException($"s3rver exited before it listened:\n{Output()}"));
        StartOrExplain(_process, "node");
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        int port;
        try
        {
            port = await listening.Task.WaitAsync(StartTimeout, cancellationToken);
        }
        catch (TimeoutException)
        {
            throw new InvalidOperationException($"s3rver did not listen within {StartTimeout.TotalSeconds} s:\n{Output()}");
        }

        Endpoint = $"http://127.0.0.1:{port}";
    }

    public async ValueTask DisposeAsync()
    {
        var crashed = false;
        var exitCode = 0;
        if (_process is not null)
        {
            try
            {
                if (_process.HasExited)
                {
                    crashed = true;
                    exitCode = _process.ExitCode;
                }
                else
                {
                    _process.Kill(entireProcessTree: true);
                }

                using var exited = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await _process.WaitForExitAsync(exited.Token);
            }
            catch (Exception ex) when (ex is InvalidOperationException or Win32Exception or OperationCanceledException)
            {
                // Already gone, or not stopping: nothing more a test run can do about it.
            }

            _process.Dispose();
        }

        _data.Dispose();
        _process = null;
        if (crashed)
        {
            throw new InvalidOperationException($"s3rver stopped by itself during the tests (exit code {exitCode}):\n{Output()}");
        }
    }

    private static string NodeExecutable => OperatingSystem.IsWindows() ? "node.exe" : "node";

    private static string NpmExecutable => OperatingSystem.IsWindows() ? "npm.cmd" : "npm";

    /// <summary>The cache folder s3rver is installed in, shared by every test run on the machine.</summary>
    public static string CacheDirectory => Path.Join(Path.GetTempPath(), $"dapr-profiler-s3rver-{Version}");

    /// <summary>
    /// Installs s3rver into <see cref="CacheDirectory"/> unless a previous run did; a lock file keeps concurrent
    /// runs from installing over each other. Returns the path of its CLI script.
    /// </summary>
    private static async Task<string> InstallAsync()
    {
        var cache = CacheDirectory;
        var script = Path.Join(cache, "node_modules", "s3rver", "bin", "s3rver.js");
        var marker = Path.Join(cache, "installed");
        if (File.Exists(marker) && File.Exists(script))
        {
            return script;
        }

        Directory.CreateDirectory(cache);
        await using var installLock = await LockAsync(Path.Join(cache, "install.lock"));
        if (File.Exists(marker) && File.Exists(script))
        {
            return script; // another run installed it while this one waited
        }

        var npm = new ProcessStartInfo(NpmExecutable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = cache,
        };
        foreach (var argument in new[] { "install", "--no-audit", "--no-fund", "--no-save", "--prefix", cache, $"s3rver@{Version}" })
        {
            npm.ArgumentList.Add(argument);
        }

        using var process = new Process { StartInfo = npm };
        StartOrExplain(process, "npm");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using (var deadline = new CancellationTokenSource(InstallTimeout))
        {
            try
            {
                await process.WaitForExitAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new InvalidOperationException($"npm install s3rver@{Version} took longer than {InstallTimeout.TotalMinutes} minutes");
            }
        }

        if (process.ExitCode != 0 || !File.Exists(script))
        {
            throw new InvalidOperationException(
                $"npm install s3rver@{Version} into {cache} failed with exit code {process.ExitCode}:\n{await stdout}\n{await stderr}");
        }

        await File.WriteAllTextAsync(marker, Version);
        return script;
    }

    /// <summary>An exclusive lock on a file, held until disposed; waits for another process holding it.</summary>
    private static async Task<FileStream> LockAsync(string path)
    {
        var deadline = DateTime.UtcNow + InstallTimeout;
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200)); // another test run is installing
            }
        }
    }

    /// <summary>The major version of the node on PATH (which also proves that there is one).</summary>
    private static async Task<int> NodeMajorVersionAsync()
    {
        using var process = new Process
        {
            StartInfo = new ProcessStartInfo(NodeExecutable, "--version")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            },
        };
        StartOrExplain(process, "node");
        var output = await process.StandardOutput.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(StartTimeout);
        await process.WaitForExitAsync(deadline.Token);
        var match = NodeVersion().Match(output);
        return match.Success
            ? int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)
            : throw new InvalidOperationException($"'node --version' printed '{output.Trim()}', not a version");
    }

    private static void StartOrExplain(Process process, string tool)
    {
        try
        {
            process.Start();
        }
        catch (Win32Exception ex)
        {
            throw new InvalidOperationException(
                $"the S3 tests run s3rver {Version}, a real S3-protocol server from npm, and need '{tool}' on PATH: install Node.js and npm (CI does). {ex.Message}",
                ex);
        }
    }

    private void OnLine(string? line, TaskCompletionSource<int>? listening)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }

        if (listening is not null && ListeningLine().Match(line) is { Success: true } match)
        {
            listening.TrySetResult(int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    private string Output()
    {
        lock (_output)
        {
            return _output.ToString();
        }
    }

    [GeneratedRegex(@"^S3rver listening on [^\s]+:(\d+)\s*$")]
    private static partial Regex ListeningLine();

    [GeneratedRegex(@"^v(\d+)\.")]
    private static partial Regex NodeVersion();

    /// <summary>The server's data folder, removed at the end.</summary>
    private sealed class ServerDirectory : IDisposable
    {
        public ServerDirectory()
        {
            Path = System.IO.Path.Join(System.IO.Path.GetTempPath(), "dapr-profiler-tests", "s3rver-" + Guid.NewGuid().ToString("N"));
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
                // Best effort: a leftover temp directory does not fail a test.
            }
        }
    }
}
