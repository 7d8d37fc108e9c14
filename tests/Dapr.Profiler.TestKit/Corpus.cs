using System.Text.Json;

namespace Dapr.Profiler.TestKit;

/// <summary>
/// The committed corpus of real profiles (tests/testdata/profiles) and the expectations computed for them by an
/// independent reader (tests/testdata/expectations, made by a JavaScript script with the pprof-format package).
/// </summary>
public static class Corpus
{
    private static readonly Lazy<string> Root = new(FindRoot);

    /// <summary>The directory holding <c>profiles/</c> and <c>expectations/</c>.</summary>
    public static string Directory => Root.Value;

    public static string ProfilePath(string name) => Path.Combine(Directory, "profiles", name);

    public static byte[] ReadProfile(string name) => File.ReadAllBytes(ProfilePath(name));

    /// <summary>The names of every pprof file in the corpus (gzip-compressed, <c>*.pb.gz</c>).</summary>
    public static IReadOnlyList<string> PprofFiles() =>
        System.IO.Directory.GetFiles(Path.Combine(Directory, "profiles"), "*.pb.gz")
            .Select(Path.GetFileName)
            .OfType<string>()
            .Order(StringComparer.Ordinal)
            .ToArray();

    public static Expectation Expect(string name)
    {
        var path = Path.Combine(Directory, "expectations", name + ".json");
        using var stream = File.OpenRead(path);
        using var doc = JsonDocument.Parse(stream);
        return Expectation.FromJson(doc.RootElement);
    }

    private static string FindRoot()
    {
        // Test outputs carry a copy under testdata/; running from the source tree works too.
        var candidates = new[]
        {
            Path.Combine(AppContext.BaseDirectory, "testdata"),
        };
        foreach (var candidate in candidates)
        {
            if (System.IO.Directory.Exists(Path.Combine(candidate, "profiles")))
            {
                return candidate;
            }
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var path = Path.Combine(dir.FullName, "tests", "testdata");
            if (System.IO.Directory.Exists(Path.Combine(path, "profiles")))
            {
                return path;
            }
        }

        throw new DirectoryNotFoundException("tests/testdata/profiles was not found above " + AppContext.BaseDirectory);
    }
}
