using System.Globalization;
using System.Text.RegularExpressions;

namespace Dapr.Profiler.MeshBench;

/// <summary>
/// <c>dotnet run -c Release --project tests/Dapr.Profiler.MeshBench -- [--rate R] [--concurrency N] [--seconds S]</c>:
/// runs <c>dprof bench ingest</c> (as a child process) against the all-in-one server, then against the distributor
/// of the mesh (sidecar emulator + one process per service), prints both result blocks and the mesh/all-in-one ratios.
/// </summary>
internal static partial class Program
{
    /// <summary>Both deployments ingest without the per-tenant rate limit, so the bench measures the pipeline.</summary>
    private static readonly string[] ServerArgs = ["--Distributor:IngestionRateBytesPerSecond=0"];

    public static async Task<int> Main(string[] args)
    {
        List<string> benchArgs;
        long seconds;
        try
        {
            (benchArgs, seconds) = ParseArguments(args);
        }
        catch (ArgumentException ex)
        {
            await Console.Error.WriteLineAsync($"{ex.Message}\nusage: Dapr.Profiler.MeshBench [--rate R] [--concurrency N] [--seconds S] [--services N] [--corpus DIR]");
            return 2;
        }

        // Children die with the bench, also on Ctrl-C or an unhandled failure.
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = false;
            ChildProcess.KillAll();
        };
        AppDomain.CurrentDomain.ProcessExit += (_, _) => ChildProcess.KillAll();

        try
        {
            Console.WriteLine($"bench: dprof bench ingest {string.Join(' ', benchArgs)}");
            Console.WriteLine($"machine: {Environment.ProcessorCount} cores");
            var allInOne = await MeasureAsync("all-in-one", () => StartAsync(AllInOne.StartAsync), benchArgs, seconds);
            var mesh = await MeasureAsync("mesh (sidecar emulator, 5 service processes)", () => StartAsync(DaprMesh.StartAsync), benchArgs, seconds);

            Console.WriteLine();
            Console.WriteLine("=== all-in-one ===");
            Console.Write(allInOne.Output);
            Console.WriteLine("=== mesh (sidecar emulator, 5 service processes) ===");
            Console.Write(mesh.Output);
            Console.WriteLine();
            Console.WriteLine(Summary(allInOne, mesh));
            return 0;
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or IOException or HttpRequestException)
        {
            await Console.Error.WriteLineAsync($"bench failed: {ex}");
            return 1;
        }
        finally
        {
            ChildProcess.KillAll();
        }
    }

    private static async Task<IDeployment> StartAsync<T>(Func<IReadOnlyList<string>, Task<T>> start)
        where T : IDeployment => await start(ServerArgs);

    private static (List<string> BenchArgs, long Seconds) ParseArguments(string[] args)
    {
        var known = new HashSet<string>(StringComparer.Ordinal) { "--rate", "--concurrency", "--seconds", "--services", "--corpus" };
        var benchArgs = new List<string>();
        long seconds = 10;
        for (var i = 0; i < args.Length; i++)
        {
            if (!known.Contains(args[i]) || i + 1 >= args.Length)
            {
                throw new ArgumentException($"unknown or incomplete option '{args[i]}'");
            }

            var value = args[++i];
            if (args[i - 1] != "--corpus" && (!long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number <= 0))
            {
                throw new ArgumentException($"{args[i - 1]} needs a positive integer, not '{value}'");
            }

            if (args[i - 1] == "--seconds")
            {
                seconds = long.Parse(value, CultureInfo.InvariantCulture);
            }

            benchArgs.Add(args[i - 1]);
            benchArgs.Add(value);
        }

        if (!benchArgs.Contains("--seconds"))
        {
            benchArgs.AddRange(["--seconds", "10"]);
        }

        return (benchArgs, seconds);
    }

    /// <summary>Starts a deployment, runs the bench against it, stops it (whatever happens).</summary>
    private static async Task<BenchResult> MeasureAsync(string label, Func<Task<IDeployment>> start, List<string> benchArgs, long seconds)
    {
        Console.WriteLine($"[{label}] starting…");
        await using var deployment = await start();
        Console.WriteLine($"[{label}] ready at {deployment.IngestUrl}; benchmarking for {seconds} s…");
        await using var bench = ChildProcess.Start("dprof bench ingest", "dprof.dll", ["bench", "ingest", "--url", deployment.IngestUrl.ToString(), .. benchArgs], keepStdout: true);
        var exitCode = await bench.WaitForExitAsync(TimeSpan.FromSeconds(seconds + 180));
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"[{label}] dprof bench ingest exited with {exitCode}:\n{bench.Tail}\n{deployment.Logs}");
        }

        Console.WriteLine($"[{label}] done; stopping.");
        return BenchResult.Parse(label, bench.StandardOutput);
    }

    private static string Summary(BenchResult allInOne, BenchResult mesh)
    {
        static string Ratio(double? numerator, double? denominator) =>
            numerator is { } n && denominator is { } d && d > 0 ? (n / d).ToString("0.00", CultureInfo.InvariantCulture) + "×" : "n/a";

        return $"summary mesh/all-in-one: profiles/s {Ratio(mesh.ProfilesPerSecond, allInOne.ProfilesPerSecond)} "
            + $"({Format(mesh.ProfilesPerSecond)} vs {Format(allInOne.ProfilesPerSecond)}) · "
            + $"p50 {Ratio(mesh.P50, allInOne.P50)} ({Format(mesh.P50)} vs {Format(allInOne.P50)} ms) · "
            + $"p99 {Ratio(mesh.P99, allInOne.P99)} ({Format(mesh.P99)} vs {Format(allInOne.P99)} ms) · "
            + $"failed {Format(mesh.Failed)} vs {Format(allInOne.Failed)}";
    }

    private static string Format(double? value) => value?.ToString("0.#", CultureInfo.InvariantCulture) ?? "n/a";

    private sealed partial record BenchResult(string Label, string Output, double? ProfilesPerSecond, double? P50, double? P99, double? Failed)
    {
        public static BenchResult Parse(string label, string output) => new(
            label,
            output,
            Number(ProfilesPerSecondPattern(), output),
            Number(P50Pattern(), output),
            Number(P99Pattern(), output),
            Number(FailedPattern(), output));

        private static double? Number(Regex pattern, string output) =>
            pattern.Match(output) is { Success: true } match
                ? double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture)
                : null;

        [GeneratedRegex(@"\((\d+(?:\.\d+)?) profiles/s")]
        private static partial Regex ProfilesPerSecondPattern();

        [GeneratedRegex(@"p50 (\d+(?:\.\d+)?) ms")]
        private static partial Regex P50Pattern();

        [GeneratedRegex(@"p99 (\d+(?:\.\d+)?) ms")]
        private static partial Regex P99Pattern();

        [GeneratedRegex(@"failed: (\d+)")]
        private static partial Regex FailedPattern();
    }
}
