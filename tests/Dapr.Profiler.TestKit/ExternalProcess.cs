using System.Diagnostics;
using System.Text;

namespace Dapr.Profiler.TestKit;

/// <summary>What a finished external process printed and returned.</summary>
public sealed record ProcessResult(string CommandLine, int ExitCode, string StandardOutput, string StandardError)
{
    public override string ToString() =>
        $"{CommandLine} exited with {ExitCode}\n--- stdout ---\n{StandardOutput}\n--- stderr ---\n{StandardError}";
}

/// <summary>Runs real tools (node, npm, go, dotnet) as child processes, with a deadline and captured output.</summary>
public static class ExternalProcess
{
    /// <summary>
    /// The full path of <paramref name="tool"/> on PATH; throws with a message saying what installs it when it is
    /// missing (CI installs every tool the tests need, so a missing one is a failure, not a skip).
    /// </summary>
    public static string Require(string tool, string installHint)
    {
        ArgumentNullException.ThrowIfNull(tool);
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, tool);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException(
            $"'{tool}' is not on PATH ({Environment.GetEnvironmentVariable("PATH")}); these end-to-end tests run the real tool: {installHint}");
    }

    /// <summary>
    /// Runs <paramref name="fileName"/> to completion. When <paramref name="timeout"/> passes first the process (and
    /// its children) is killed and a <see cref="TimeoutException"/> carries what it printed.
    /// </summary>
    public static async Task<ProcessResult> RunAsync(
        string fileName,
        IEnumerable<string> arguments,
        TimeSpan timeout,
        string? workingDirectory = null,
        IReadOnlyDictionary<string, string?>? environment = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                start.Environment.Remove(name);
            }
            else
            {
                start.Environment[name] = value;
            }
        }

        var commandLine = fileName + " " + string.Join(' ', start.ArgumentList.Select(a => a.Contains(' ', StringComparison.Ordinal) ? $"'{a}'" : a));
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Append(stdout, e.Data);
        process.ErrorDataReceived += (_, e) => Append(stderr, e.Data);
        if (!process.Start())
        {
            throw new InvalidOperationException($"{commandLine} did not start");
        }

        // No input: a tool that asks a question gets end-of-file instead of waiting for ever.
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException ex)
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // It exited in the meantime.
            }

            await process.WaitForExitAsync(CancellationToken.None);
            throw new TimeoutException(
                $"{commandLine} did not finish within {timeout}\n--- stdout ---\n{Text(stdout)}\n--- stderr ---\n{Text(stderr)}", ex);
        }

        // Without a timeout, WaitForExit also waits until the redirected streams are read to their end.
        process.WaitForExit();
        return new ProcessResult(commandLine, process.ExitCode, Text(stdout), Text(stderr));
    }

    private static void Append(StringBuilder builder, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (builder)
        {
            builder.AppendLine(line);
        }
    }

    private static string Text(StringBuilder builder)
    {
        lock (builder)
        {
            return builder.ToString();
        }
    }
}
