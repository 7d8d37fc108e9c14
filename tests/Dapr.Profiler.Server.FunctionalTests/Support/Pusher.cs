using System.Collections.Concurrent;
using System.Globalization;
using Dapr.Profiler.Server.FunctionalTests.Hosting;
using Dapr.Profiler.TestKit;

namespace Dapr.Profiler.Server.FunctionalTests.Support;

/// <summary>One profile upload a test made: who, what, its unique timestamp, and what the server answered.</summary>
public sealed record SentProfile(string Tenant, string Service, string CorpusFile, long TimestampNanos)
{
    public int? Status { get; set; }

    public string? Failure { get; set; }

    /// <summary>Why no answer came, when none did (e.g. ConnectionError: refused; ResponseEnded: cut off).</summary>
    public HttpRequestError? TransportError { get; set; }

    public bool Acknowledged => Status == 200;
}

/// <summary>Uploads corpus profiles the way their real clients do, each with its own timestamp.</summary>
public static class Pusher
{
    /// <summary>
    /// Two hours ago, in whole seconds (the server refuses profiles from the future); upload i is i seconds later,
    /// so indexes stay below 7200.
    /// </summary>
    public static readonly long BaseTimestampNanos = (DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 7200) * 1_000_000_000L;

    /// <summary>
    /// The request a real client would send for <paramref name="profile"/>: pyroscope-go's multipart for Go
    /// profiles, @pyroscope/nodejs 0.6.4's raw pprof for Node ones.
    /// </summary>
    public static HttpRequestMessage Request(SentProfile profile, string? tenant)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var body = CorpusProfiles.WithTimestamp(profile.CorpusFile, profile.TimestampNanos);
        if (profile.CorpusFile.StartsWith("go-", StringComparison.Ordinal))
        {
            return IngestRequests.Ingest(
                PyroscopeGo.IngestUrl(profile.Service, profile.TimestampNanos, ("env", "ft")),
                IngestRequests.Multipart(body),
                tenant);
        }

        var seconds = profile.TimestampNanos / 1_000_000_000;
        var name = Uri.EscapeDataString(profile.Service + "{otel.scope.name=com.grafana.pyroscope/nodejs,env=ft}");
        return IngestRequests.Ingest(
            string.Create(CultureInfo.InvariantCulture, $"/ingest?format=pprof&from={seconds}&name={name}&spyName=nodespy&until={seconds + 10}&sampleRate=17"),
            IngestRequests.Bytes(body),
            tenant);
    }

    /// <summary>Sends every profile with <paramref name="concurrency"/> parallel uploaders; records each answer.</summary>
    public static async Task SendAllAsync(IProfilerServer server, IReadOnlyList<SentProfile> profiles, int concurrency, bool sendTenantHeader, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(profiles);
        var queue = new ConcurrentQueue<SentProfile>(profiles);
        var workers = Enumerable.Range(0, concurrency).Select(_ => Task.Run(
            async () =>
            {
                while (queue.TryDequeue(out var profile))
                {
                    await SendAsync(server, profile, sendTenantHeader, cancellationToken);
                }
            },
            cancellationToken));
        await Task.WhenAll(workers);
    }

    public static async Task SendAsync(IProfilerServer server, SentProfile profile, bool sendTenantHeader, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(profile);
        try
        {
            var answer = await server.SendAsync(Request(profile, sendTenantHeader ? profile.Tenant : null), cancellationToken);
            profile.Status = answer.StatusCode;
            if (answer.StatusCode != 200 || answer.Body.Length != 0)
            {
                profile.Failure = answer.ToString();
            }
        }
        catch (HttpRequestException ex)
        {
            profile.TransportError = ex.HttpRequestError;
            profile.Failure = $"{ex.GetType().Name} ({ex.HttpRequestError}): {ex.Message}";
        }
    }

    /// <summary>Profiles of one corpus file for one tenant and service, with consecutive timestamps.</summary>
    public static List<SentProfile> Make(string tenant, string service, string corpusFile, int count, int firstIndex = 0) =>
        Enumerable.Range(firstIndex, count)
            .Select(i => new SentProfile(tenant, service, corpusFile, BaseTimestampNanos + (i * 1_000_000_000L)))
            .ToList();

    /// <summary>
    /// Asserts that every acknowledged profile is stored exactly once per series (one row per profile type, at its
    /// timestamp) and nothing else is: the comparison is per (tenant, service, profile type, timestamp).
    /// </summary>
    public static void AssertStoredExactly(IEnumerable<SentProfile> acknowledged, IEnumerable<StoredRow> stored, string context)
    {
        var expected = acknowledged
            .SelectMany(p => CorpusProfiles.ExpectedTypes(p.CorpusFile).Select(t => Key(p.Tenant, p.Service, t, p.TimestampNanos)))
            .Order(StringComparer.Ordinal)
            .ToArray();
        var actual = stored.Select(r => Key(r.Tenant, r.Service, r.ProfileType, r.TimestampNanos)).Order(StringComparer.Ordinal).ToArray();
        var missing = expected.Except(actual, StringComparer.Ordinal).Take(10).ToArray();
        var duplicated = actual.GroupBy(k => k, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => $"{g.Key} x{g.Count()}").Take(10).ToArray();
        var unexpected = actual.Except(expected, StringComparer.Ordinal).Take(10).ToArray();
        Assert.True(
            missing.Length == 0 && duplicated.Length == 0 && unexpected.Length == 0,
            $"{context}: {expected.Length} rows expected, {actual.Length} stored.\n" +
            $"missing: {string.Join(", ", missing)}\nduplicated: {string.Join(", ", duplicated)}\nunexpected: {string.Join(", ", unexpected)}");
    }

    /// <summary>
    /// After a crash or a shutdown with pushes in flight: every acknowledged profile is stored (one row per
    /// series), nothing is stored twice, and nothing is stored that was not sent. A push that was stored but whose
    /// answer was lost may be there too.
    /// </summary>
    public static void AssertAcknowledgedStored(IEnumerable<SentProfile> sent, IReadOnlyList<StoredRow> stored, string context)
    {
        ArgumentNullException.ThrowIfNull(sent);
        ArgumentNullException.ThrowIfNull(stored);
        var all = sent.ToList();
        var storedKeys = stored.Select(r => Key(r.Tenant, r.Service, r.ProfileType, r.TimestampNanos)).ToList();
        var storedSet = storedKeys.ToHashSet(StringComparer.Ordinal);
        var lost = all.Where(p => p.Acknowledged)
            .SelectMany(p => CorpusProfiles.ExpectedTypes(p.CorpusFile).Select(t => Key(p.Tenant, p.Service, t, p.TimestampNanos)))
            .Where(k => !storedSet.Contains(k))
            .ToList();
        var sentKeys = all
            .SelectMany(p => CorpusProfiles.ExpectedTypes(p.CorpusFile).Select(t => Key(p.Tenant, p.Service, t, p.TimestampNanos)))
            .ToHashSet(StringComparer.Ordinal);
        var unexpected = storedKeys.Where(k => !sentKeys.Contains(k)).ToList();
        var duplicated = storedKeys.GroupBy(k => k, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.True(
            lost.Count == 0 && unexpected.Count == 0 && duplicated.Count == 0,
            $"{context}: {all.Count(p => p.Acknowledged)} of {all.Count} pushes acknowledged, {stored.Count} rows stored;\n" +
            $"lost ({lost.Count}): {string.Join(", ", lost.Take(5))}\nunexpected: {string.Join(", ", unexpected.Take(5))}\nduplicated: {string.Join(", ", duplicated.Take(5))}");
    }

    private static string Key(string tenant, string service, string type, long timestamp) =>
        string.Create(CultureInfo.InvariantCulture, $"{tenant}/{service}/{type}@{timestamp}");
}
