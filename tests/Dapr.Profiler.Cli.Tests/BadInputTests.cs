namespace Dapr.Profiler.Cli.Tests;

/// <summary>Bad files give one line on stderr and exit code 1, as the process a user runs.</summary>
public sealed class BadInputTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dprof-bad-").FullName;

    public static TheoryData<string, byte[]> BadFiles() => new()
    {
        { "random.bin", [0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01] },
        { "broken.gz", [0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0xff, 0xfe] },
        { "empty.pb", [] },
        { "dangling.pb", [0x12, 0x04, 0x08, 0x09, 0x10, 0x01] },
    };

    [Theory]
    [MemberData(nameof(BadFiles))]
    public async Task BadFile_OneLineOnStderr_ExitCode1(string name, byte[] content)
    {
        var path = Path.Combine(_dir, name);
        await File.WriteAllBytesAsync(path, content, TestContext.Current.CancellationToken);

        foreach (var command in new[] { "inspect", "flamegraph" })
        {
            var (code, stdout, stderr) = await CliRunner.ProcessAsync(command, path);

            Assert.Equal(1, code);
            Assert.Empty(stdout);
            var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Single(lines);
            Assert.StartsWith("dprof: ", lines[0], StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task MissingFile_ExitCode1_NamesTheFile()
    {
        var path = Path.Combine(_dir, "missing.pb.gz");
        var (code, _, stderr) = await CliRunner.ProcessAsync("inspect", path);

        Assert.Equal(1, code);
        Assert.Contains("missing.pb.gz", stderr, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
