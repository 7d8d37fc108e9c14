using System.Globalization;
using System.Security.Cryptography;

namespace Dapr.Profiler.TestKit;

/// <summary>
/// The real Pyroscope Node.js client from npm, as pinned by the committed generator
/// (<c>tests/testdata/generators/node</c>: package.json, package-lock.json, workload.js). The packages are installed
/// once into a cache directory outside the repository, named after the lock file's hash, so every test run on a
/// machine shares one install; a lock file keeps concurrent runs from installing over each other.
/// </summary>
public static class NodeClients
{
    /// <summary>@pyroscope/nodejs 0.6.4: raw gzipped pprof with <c>format=pprof</c>.</summary>
    public const string Current = "@pyroscope/nodejs";

    /// <summary>@pyroscope/nodejs 0.6.1 (npm alias): multipart/form-data, no format parameter.</summary>
    public const string Legacy = "pyroscope-nodejs-0.6.1";

    private const string InstalledMarker = ".dapr-profiler-installed";

    private static readonly string[] GeneratorFiles = ["package.json", "package-lock.json", "workload.js"];

    private static readonly TimeSpan InstallTimeout = TimeSpan.FromMinutes(5);

    private static readonly SemaphoreSlim InstallGate = new(1, 1);

    private static string? _installed;

    /// <summary>The committed generator directory (copied next to the tests as testdata/generators/node).</summary>
    public static string GeneratorDirectory
    {
        get
        {
            var dir = Path.Combine(Corpus.Directory, "generators", "node");
            if (!File.Exists(Path.Combine(dir, "workload.js")))
            {
                throw new DirectoryNotFoundException($"{dir} has no workload.js: copy tests/testdata/generators/node into the test output");
            }

            return dir;
        }
    }

    /// <summary>The version an <paramref name="module"/> reports in <c>otel.scope.version</c>.</summary>
    public static string Version(string module) => module switch
    {
        Current => "0.6.4",
        Legacy => "0.6.1",
        _ => throw new ArgumentOutOfRangeException(nameof(module), module, "not a pinned client module"),
    };

    /// <summary>
    /// The cache directory with <c>node_modules</c> installed by <c>npm ci</c> (once per machine and lock file);
    /// fails clearly when node or npm is missing.
    /// </summary>
    public static async Task<string> EnsureInstalledAsync(CancellationToken cancellationToken)
    {
        ExternalProcess.Require("node", "install Node.js >= 20 (Debian: apt-get install nodejs npm)");
        var npm = ExternalProcess.Require("npm", "install npm (Debian: apt-get install npm)");
        await InstallGate.WaitAsync(cancellationToken);
        try
        {
            if (_installed is not null)
            {
                return _installed;
            }

            var source = GeneratorDirectory;
            var lockFile = Path.Combine(source, "package-lock.json");
            var hash = Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(lockFile, cancellationToken)))[..16];
            var cache = Path.Combine(Path.GetTempPath(), "dapr-profiler-e2e-node-" + hash);
            Directory.CreateDirectory(cache);
            await using (await AcquireFileLockAsync(cache + ".lock", cancellationToken))
            {
                if (!File.Exists(Path.Combine(cache, InstalledMarker)) || !InstalledModules(cache))
                {
                    File.Copy(Path.Combine(source, "package.json"), Path.Combine(cache, "package.json"), overwrite: true);
                    File.Copy(lockFile, Path.Combine(cache, "package-lock.json"), overwrite: true);
                    var result = await ExternalProcess.RunAsync(
                        npm, ["ci", "--no-audit", "--no-fund"], InstallTimeout, cache, cancellationToken: cancellationToken);
                    if (result.ExitCode != 0 || !InstalledModules(cache))
                    {
                        throw new InvalidOperationException("npm ci of the pinned Pyroscope Node.js clients failed:\n" + result);
                    }

                    await File.WriteAllTextAsync(Path.Combine(cache, InstalledMarker), hash, cancellationToken);
                }
            }

            _installed = cache;
            return cache;
        }
        finally
        {
            InstallGate.Release();
        }
    }

    /// <summary>
    /// Runs <c>node workload.js PORT MODULE DURATION_MS</c> (appName <c>node-corpus</c>, tags env=test, flushes every
    /// 3 s, wall with CPU time and heap) against <c>http://127.0.0.1:PORT</c> and waits for it to exit.
    /// </summary>
    public static async Task<ProcessResult> RunWorkloadAsync(int port, string module, TimeSpan duration, TimeSpan deadline, CancellationToken cancellationToken)
    {
        var cache = await EnsureInstalledAsync(cancellationToken);
        var source = GeneratorDirectory;
        foreach (var file in GeneratorFiles)
        {
            if (!File.Exists(Path.Combine(source, file)))
            {
                throw new FileNotFoundException("the node generator is incomplete", Path.Combine(source, file));
            }
        }

        return await ExternalProcess.RunAsync(
            "node",
            ["workload.js", port.ToString(CultureInfo.InvariantCulture), module, ((long)duration.TotalMilliseconds).ToString(CultureInfo.InvariantCulture)],
            deadline,
            source,
            new Dictionary<string, string?>
            {
                ["NODE_PATH"] = Path.Combine(cache, "node_modules"),
                ["PYROSCOPE_SERVER_ADDRESS"] = null,
                ["PYROSCOPE_ADHOC_SERVER_ADDRESS"] = null,
                ["PYROSCOPE_APPLICATION_NAME"] = null,
                ["PYROSCOPE_FLUSH_INTERVAL_MS"] = null,
            },
            cancellationToken);
    }

    private static bool InstalledModules(string cache) =>
        new[] { Current, Legacy }.All(m => File.Exists(Path.Combine(cache, "node_modules", m, "package.json")));

    /// <summary>
    /// An exclusive lock on <paramref name="path"/> (other processes wait by polling until it is free). The file stays:
    /// deleting it on close would let two waiters lock two different files.
    /// </summary>
    private static async Task<FileStream> AcquireFileLockAsync(string path, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(InstallTimeout);
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (!deadline.IsCancellationRequested)
            {
                // Another test run is installing: wait for it.
                await Task.Delay(TimeSpan.FromMilliseconds(200), deadline.Token);
            }
        }
    }
}
