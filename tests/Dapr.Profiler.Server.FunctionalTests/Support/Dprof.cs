using Dapr.Profiler.TestKit;

namespace Dapr.Profiler.Server.FunctionalTests.Support;

/// <summary>Runs the command-line tool as a user does: <c>dotnet dprof.dll ARGS</c> from the test output.</summary>
public static class Dprof
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    public static string Dll
    {
        get
        {
            var dll = Path.Combine(AppContext.BaseDirectory, "dprof.dll");
            return File.Exists(dll) ? dll : throw new FileNotFoundException("dprof is not in the test output (project reference to Dapr.Profiler.Cli)", dll);
        }
    }

    public static Task<ProcessResult> RunAsync(params string[] args) =>
        ExternalProcess.RunAsync(
            DotnetHost(),
            [Dll, .. args],
            Timeout,
            Path.GetTempPath(),
            new Dictionary<string, string?> { ["DOTNET_NOLOGO"] = "1" },
            TestContext.Current.CancellationToken);

    /// <summary>Runs dprof and asserts exit code 0; the result for further checks.</summary>
    public static async Task<ProcessResult> RunOkAsync(params string[] args)
    {
        var result = await RunAsync(args);
        Assert.True(result.ExitCode == 0, result.ToString());
        return result;
    }

    /// <summary>The non-empty lines of stdout.</summary>
    public static IReadOnlyList<string> Lines(ProcessResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).Where(l => l.Trim().Length > 0).ToArray();
    }

    private static string DotnetHost()
    {
        // Set by the dotnet CLI for the processes it starts (dotnet test); otherwise the dotnet on PATH.
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        return !string.IsNullOrEmpty(host) && File.Exists(host) ? host : "dotnet";
    }
}
