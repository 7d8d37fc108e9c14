using System.Globalization;
using System.Text.RegularExpressions;

namespace Dapr.Profiler.Cli.Tests;

/// <summary>The bench commands keep working: they find the corpus and print positive figures.</summary>
public sealed partial class BenchCommandTests
{
    [Fact]
    public async Task BenchDecode_PrintsThroughputForEveryPath()
    {
        var (code, stdout, stderr) = await CliRunner.InProcessAsync("bench", "decode", "--seconds", "1");

        Assert.True(code == 0, stderr);
        foreach (var path in new[] { "protobuf parse", "gunzip + protobuf parse", "decode + validate + normalise (ours)" })
        {
            var line = stdout.Split('\n').Single(l => l.StartsWith(path, StringComparison.Ordinal) && (path.Contains("ours", StringComparison.Ordinal) || !l.Contains("ours", StringComparison.Ordinal)));
            var numbers = Number().Matches(line[path.Length..]).Select(m => double.Parse(m.Value, CultureInfo.InvariantCulture)).ToArray();
            Assert.Equal(2, numbers.Length);
            Assert.All(numbers, n => Assert.True(n > 0, line));
        }

        Assert.Matches(@"ratio ours / \(gunzip \+ parse\): \d+\.\d\d", stdout);
    }

    [Fact]
    public async Task BenchBlock_ShowsTheSharedBlockSmallerThanTheGzippedInput()
    {
        var (code, stdout, stderr) = await CliRunner.InProcessAsync("bench", "block", "--seconds", "1");

        Assert.True(code == 0, stderr);
        var shared = stdout.Split('\n').Single(l => l.StartsWith("one block for all profiles", StringComparison.Ordinal));
        var percent = int.Parse(Percent().Match(shared).Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.InRange(percent, 1, 99);
    }

    [GeneratedRegex(@"\d+(\.\d+)?")]
    private static partial Regex Number();

    [GeneratedRegex(@"(\d+) ?%")]
    private static partial Regex Percent();
}
