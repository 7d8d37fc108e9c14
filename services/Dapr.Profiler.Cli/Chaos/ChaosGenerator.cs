using System.Globalization;
using System.IO.Compression;
using System.Text;
using Dapr.Profiler.Protos.Pprof;

namespace Dapr.Profiler.Cli.Chaos;

/// <summary>
/// Generates the requests of a chaos campaign. Request <c>i</c> of seed <c>S</c> depends only on <c>S</c>, <c>i</c>,
/// the corpus profiles and the clock reading passed in, so any request can be generated (and sent) again alone.
/// Requests cycle through the categories, so every campaign of at least <see cref="Categories"/> requests covers all.
/// </summary>
internal sealed class ChaosGenerator
{
    /// <summary>The service names of campaign pushes all start with this; the baseline's never does.</summary>
    public const string ServicePrefix = "chaos-";

    public static readonly ChaosCategory[] Categories = Enum.GetValues<ChaosCategory>();

    private readonly Profile[] _templates;

    /// <param name="templates">Real profiles to mutate (never modified: each request works on a copy).</param>
    /// <param name="nowSeconds">The clock reading (Unix seconds) that times in requests are relative to.</param>
    public ChaosGenerator(IReadOnlyList<Profile> templates, long nowSeconds)
    {
        if (templates.Count == 0)
        {
            throw new ArgumentException("at least one corpus profile is needed", nameof(templates));
        }

        _templates = [.. templates];
        NowSeconds = nowSeconds;
    }

    public long NowSeconds { get; }

    /// <summary>The category of request <paramref name="index"/> (they are taken in turn).</summary>
    public static ChaosCategory CategoryOf(int index) => Categories[index % Categories.Length];

    public ChaosRequest Generate(int seed, int index)
    {
        var category = CategoryOf(index);
        var context = new ChaosContext(new Random(Mix(seed, index)), _templates, NowSeconds, category, index);
        return category switch
        {
            ChaosCategory.PprofMutation => PprofMutations.Generate(context),
            ChaosCategory.GzipBomb => GzipBombs.Generate(context),
            ChaosCategory.Multipart => MultipartAbuse.Generate(context),
            ChaosCategory.IngestQuery => IngestQueryAbuse.Generate(context),
            ChaosCategory.PushBody => PushAbuse.Generate(context),
            ChaosCategory.Selector => SelectorAbuse.Generate(context),
            ChaosCategory.QuerierBody => QuerierAbuse.Generate(context),
            ChaosCategory.TimeRange => TimeRangeAbuse.Generate(context),
            _ => throw new InvalidOperationException($"no generator for {category}"),
        };
    }

    /// <summary>A per-request seed (SplitMix64 finaliser: stable across runtimes, unlike <see cref="HashCode"/>).</summary>
    private static int Mix(int seed, int index)
    {
        var z = unchecked(((ulong)(uint)seed << 32) + (ulong)(uint)index + 0x9E3779B97F4A7C15UL);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        return unchecked((int)(z ^ (z >> 31)));
    }
}

/// <summary>What one request's generator works with.</summary>
internal sealed class ChaosContext(Random random, Profile[] templates, long nowSeconds, ChaosCategory category, int index)
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public Random Random { get; } = random;

    public long NowSeconds { get; } = nowSeconds;

    public ChaosCategory Category { get; } = category;

    public int Index { get; } = index;

    /// <summary>A copy of a corpus profile, free to mutate.</summary>
    public Profile Template() => templates[Random.Next(templates.Length)].Clone();

    public T Pick<T>(params T[] choices) => choices[Random.Next(choices.Length)];

    public byte[] Bytes(int length)
    {
        var bytes = new byte[length];
        Random.NextBytes(bytes);
        return bytes;
    }

    /// <summary>A campaign service name (never the baseline's).</summary>
    public string Service() => ChaosGenerator.ServicePrefix + Random.Next(8).ToString(Inv);

    /// <summary>A well-formed <c>/ingest</c> path for a raw pprof body of this campaign.</summary>
    public string IngestPath(string? route = null) =>
        string.Create(Inv, $"{route ?? Pick("/ingest", "/pyroscope/ingest")}?name={Uri.EscapeDataString(Service() + "{env=chaos}")}&format=pprof&from={NowSeconds - Random.Next(600)}&spyName=gospy");

    public ChaosRequest Post(string path, string? contentType, byte[] body, string description, string? contentEncoding = null) =>
        new(Category, Index, "POST", path, contentType, contentEncoding, body, description);

    public ChaosRequest Get(string path, string description) =>
        new(Category, Index, "GET", path, null, null, [], description);

    public static byte[] Gzip(byte[] data)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(data);
        }

        return buffer.ToArray();
    }

    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);
}
