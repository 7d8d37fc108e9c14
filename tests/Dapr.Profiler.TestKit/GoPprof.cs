using System.Globalization;
using System.Text.RegularExpressions;

namespace Dapr.Profiler.TestKit;

/// <summary>What <c>go tool pprof -top</c> printed: the sample type, the total and each function's flat value.</summary>
/// <param name="Type">The <c>Type:</c> line, the sample type shown.</param>
/// <param name="Total">The total of the <c>Showing nodes accounting for …, of T total</c> line.</param>
/// <param name="Flat">Flat (self) value per function; inlined and non-inlined entries of one function are added up.</param>
/// <param name="Output">The whole output, for assertion messages.</param>
public sealed record PprofTop(string Type, long Total, IReadOnlyDictionary<string, long> Flat, string Output);

/// <summary>The real Go toolchain's pprof (<c>go tool pprof</c>), to check that a profile is readable by it.</summary>
public static partial class GoPprof
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    /// <summary>
    /// <c>go tool pprof -top</c> of <paramref name="path"/> with every node shown and values as exact integers:
    /// <paramref name="unit"/> is the sample unit (nanoseconds → <c>-unit=ns</c>, bytes → <c>-unit=B</c>, counts as
    /// they are). Fails clearly when <c>go</c> is not installed.
    /// </summary>
    public static async Task<PprofTop> TopAsync(string path, string? sampleIndex, string unit, CancellationToken cancellationToken)
    {
        var go = ExternalProcess.Require("go", "install the Go toolchain (Debian: apt-get install golang-go)");
        var scratch = Path.Combine(Path.GetTempPath(), "dapr-profiler-pprof-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(scratch);
        try
        {
            List<string> args = ["tool", "pprof", "-top", "-nodecount=100000", "-nodefraction=0", "-edgefraction=0", "-symbolize=none"];
            if (sampleIndex is not null)
            {
                args.Add("-sample_index=" + sampleIndex);
            }

            switch (unit)
            {
                case "nanoseconds":
                    args.Add("-unit=ns");
                    break;
                case "bytes":
                    args.Add("-unit=B");
                    break;
            }

            args.Add(path);
            var result = await ExternalProcess.RunAsync(
                go,
                args,
                Timeout,
                scratch,
                new Dictionary<string, string?>
                {
                    ["GOTOOLCHAIN"] = "local",
                    ["GOFLAGS"] = null,
                    ["PPROF_TMPDIR"] = scratch,
                    ["PPROF_BINARY_PATH"] = scratch,
                },
                cancellationToken);
            if (result.ExitCode != 0)
            {
                throw new InvalidOperationException("go tool pprof could not read the profile:\n" + result);
            }

            return Parse(result.StandardOutput, result.ToString());
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    /// <summary>Parses the text of <c>go tool pprof -top</c>.</summary>
    public static PprofTop Parse(string text, string? context = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        context ??= text;
        var type = TypeLine().Match(text);
        var total = TotalLine().Match(text);
        if (!type.Success || !total.Success)
        {
            throw new FormatException("no Type: or total line in the pprof output:\n" + context);
        }

        var flat = new Dictionary<string, long>(StringComparer.Ordinal);
        var inTable = false;
        foreach (var line in text.Split('\n'))
        {
            if (!inTable)
            {
                inTable = line.TrimStart().StartsWith("flat ", StringComparison.Ordinal);
                continue;
            }

            var row = Row().Match(line);
            if (!row.Success)
            {
                if (line.Trim().Length > 0)
                {
                    throw new FormatException($"unexpected line in the pprof table: \"{line}\"\n{context}");
                }

                continue;
            }

            var name = row.Groups["name"].Value;
            if (name.EndsWith(" (inline)", StringComparison.Ordinal))
            {
                name = name[..^" (inline)".Length];
            }

            flat[name] = flat.GetValueOrDefault(name) + Value(row.Groups["flat"].Value, context);
        }

        return new PprofTop(type.Groups["type"].Value, Value(total.Groups["total"].Value, context), flat, context);
    }

    /// <summary>An integer with an optional unit suffix (<c>1140000000ns</c>, <c>81920B</c>, <c>0</c>).</summary>
    private static long Value(string text, string context)
    {
        var digits = text.TrimEnd('n', 's', 'B');
        return long.TryParse(digits, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new FormatException($"\"{text}\" is not an exact integer (pick a -unit that prints one):\n{context}");
    }

    [GeneratedRegex(@"^Type: (?<type>\S+)", RegexOptions.Multiline)]
    private static partial Regex TypeLine();

    [GeneratedRegex(@"^Showing nodes accounting for \S+, [\d.]+% of (?<total>\S+) total", RegexOptions.Multiline)]
    private static partial Regex TotalLine();

    [GeneratedRegex(@"^\s*(?<flat>-?\S+)\s+-?[\d.]+%\s+-?[\d.]+%\s+-?\S+\s+-?[\d.]+%\s+(?<name>.+?)\s*$")]
    private static partial Regex Row();
}
