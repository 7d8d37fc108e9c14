using Dapr.Profiler.Model;
using Dapr.Profiler.Protos.Pprof;
using Dapr.Profiler.SegmentWriter;
using Dapr.Profiler.ServiceDefaults;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PushV1 = Dapr.Profiler.Protos.Push;
using SegmentPush = Dapr.Profiler.Protos.SegmentWriter.PushRequest;
using SeriesRef = Dapr.Profiler.Protos.SegmentWriter.SeriesRef;
using WireLabel = Dapr.Profiler.Protos.Types.LabelPair;

namespace Dapr.Profiler.Distributor;

/// <summary>What one ingestion stored.</summary>
/// <param name="Profiles">Profiles accepted (a profile whose values are all zero counts, but stores nothing).</param>
/// <param name="Series">Series written.</param>
/// <param name="SegmentPushes">Push requests sent to the segment-writer (one per profile and sample-label group).</param>
public sealed record IngestResult(int Profiles, int Series, int SegmentPushes)
{
    public static IngestResult Empty { get; } = new(0, 0, 0);
}

/// <summary>
/// The write path behind every ingestion API (and, later, the pub/sub subscriber): decode with bounds, validate
/// and normalise into series, place each sample-label group on a shard, push the groups to the segment-writer
/// concurrently, and return only once all of them are durable.
/// </summary>
/// <remarks>
/// Validation of a whole request happens before the first push, so a bad profile in a batch stores nothing.
/// A segment-writer failure propagates as <see cref="Mesh.ServiceException"/>; when it fails for one group
/// after others were acknowledged, those stay stored and a retry by the client stores them again.
/// </remarks>
public sealed class IngestPipeline : IDisposable
{
    /// <summary>Labels that differ between the series of one profile; the shard fingerprint leaves them out.</summary>
    private static readonly HashSet<string> PerTypeLabels = new(StringComparer.Ordinal)
    {
        LabelNames.ProfileType, LabelNames.Type, LabelNames.Unit, LabelNames.PeriodType, LabelNames.PeriodUnit, LabelNames.ServiceNameCopy,
    };

    private readonly ISegmentWriterClient _writer;
    private readonly ShardPlacement _placement;
    private readonly TimeProvider _time;
    private readonly ILogger<IngestPipeline> _logger;
    private readonly PprofDecoderOptions _decoderOptions;
    private readonly SemaphoreSlim _expansions;
    private readonly int _maxInflight;
    private int _inflight;

    public IngestPipeline(
        IOptions<DistributorOptions> options,
        ISegmentWriterClient writer,
        ShardPlacement placement,
        TimeProvider time,
        ILogger<IngestPipeline> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(placement);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);
        _writer = writer;
        _placement = placement;
        _time = time;
        _logger = logger;
        _decoderOptions = options.Value.ToDecoderOptions();
        _expansions = new SemaphoreSlim(options.Value.MaxConcurrentDecodes, options.Value.MaxConcurrentDecodes);
        _maxInflight = options.Value.MaxInflightRequests;
        Normalizer = new SeriesNormalizer(options.Value.ToNormalizationOptions());
    }

    public void Dispose() => _expansions.Dispose();

    /// <summary>The normaliser with the configured label and sample limits.</summary>
    public SeriesNormalizer Normalizer { get; }

    /// <summary>Push requests admitted and not yet answered.</summary>
    public int InflightRequests => Volatile.Read(ref _inflight);

    /// <summary>
    /// Admits one push request for as long as the returned value is not disposed: at most
    /// <see cref="DistributorOptions.MaxInflightRequests"/> at once.
    /// </summary>
    /// <exception cref="IngestRejectedException">As many requests are in flight already (<see cref="RejectionReason.RateLimited"/>, 429).</exception>
    public Admission Admit()
    {
        if (Interlocked.Increment(ref _inflight) > _maxInflight)
        {
            Interlocked.Decrement(ref _inflight);
            var key = DistributorOptions.Key(nameof(DistributorOptions.MaxInflightRequests));
            throw new IngestRejectedException(
                RejectionReason.RateLimited,
                $"the distributor is working on {_maxInflight} push requests already, its limit ({key}); retry later",
                key);
        }

        return new Admission(this);
    }

    /// <summary>
    /// Runs work that expands a request in memory (decompression, decoding) once one of the
    /// <see cref="DistributorOptions.MaxConcurrentDecodes"/> turns is free, waiting for it otherwise.
    /// </summary>
    public async Task<T> ExpandAsync<T>(Func<Task<T>> work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        await _expansions.WaitAsync(cancellationToken);
        try
        {
            return await work();
        }
        finally
        {
            _expansions.Release();
        }
    }

    /// <inheritdoc cref="ExpandAsync{T}(Func{Task{T}}, CancellationToken)"/>
    public Task<T> ExpandAsync<T>(Func<T> work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        return ExpandAsync(() => Task.FromResult(work()), cancellationToken);
    }

    /// <summary>Decodes gzipped or raw pprof bytes within <see cref="DistributorOptions.MaxDecompressedBytes"/>.</summary>
    /// <exception cref="ProfileException">The bytes are not a valid profile or are too large.</exception>
    public Profile Decode(ReadOnlyMemory<byte> rawProfile) => PprofDecoder.Decode(rawProfile, _decoderOptions);

    /// <summary>Ingests one raw pprof (gzipped or not) with its labels (<c>__name__</c> required).</summary>
    /// <param name="tenant">A valid tenant id.</param>
    /// <param name="labels">The pushed labels; a missing <c>service_name</c> becomes <c>unknown_service</c>.</param>
    /// <param name="rawProfile">The pprof bytes.</param>
    /// <param name="profileId">An optional UUID identifying the profile; null or empty makes a new one.</param>
    /// <param name="fallbackTimeNanos">The time used when the profile has none; 0 means now.</param>
    /// <param name="cancellationToken">Passed to the segment-writer.</param>
    /// <exception cref="ProfileException">The profile or its labels are invalid.</exception>
    /// <exception cref="IngestRejectedException">The tenant id or the profile id is invalid.</exception>
    /// <exception cref="Mesh.ServiceException">The segment-writer could not make the profile durable.</exception>
    public async Task<IngestResult> IngestAsync(
        string tenant,
        IReadOnlyList<LabelPair> labels,
        ReadOnlyMemory<byte> rawProfile,
        string? profileId = null,
        long fallbackTimeNanos = 0,
        CancellationToken cancellationToken = default)
    {
        ValidateTenant(tenant);
        var id = ParseProfileId(profileId);
        var profile = await ExpandAsync(() => Decode(rawProfile), cancellationToken);
        return await IngestAsync(tenant, profile, labels, fallbackTimeNanos, id, cancellationToken);
    }

    /// <summary>Ingests a decoded profile (from <see cref="Decode"/> or a text parser) with its labels.</summary>
    /// <param name="tenant">A valid tenant id.</param>
    /// <param name="profile">The decoded profile; normalisation modifies it.</param>
    /// <param name="labels">The pushed labels, <c>__name__</c> included.</param>
    /// <param name="fallbackTimeNanos">The time used when the profile has none; 0 means now.</param>
    /// <param name="profileId">16 bytes of UUID, or empty for a new one.</param>
    /// <param name="cancellationToken">Passed to the segment-writer.</param>
    /// <exception cref="ProfileException">The profile or its labels are invalid.</exception>
    /// <exception cref="IngestRejectedException">The tenant id is invalid.</exception>
    /// <exception cref="Mesh.ServiceException">The segment-writer could not make the profile durable.</exception>
    public Task<IngestResult> IngestAsync(
        string tenant,
        Profile profile,
        IReadOnlyList<LabelPair> labels,
        long fallbackTimeNanos,
        ReadOnlyMemory<byte> profileId,
        CancellationToken cancellationToken)
    {
        ValidateTenant(tenant);
        var pushes = Prepare(tenant, profile, labels, fallbackTimeNanos, profileId);
        return WriteAsync(tenant, 1, pushes, cancellationToken);
    }

    /// <summary>Ingests a push.v1 request: every sample of every series, validated first, then pushed concurrently.</summary>
    /// <exception cref="ProfileException">A profile or its labels are invalid; nothing was stored.</exception>
    /// <exception cref="IngestRejectedException">The tenant id or a profile id is invalid; nothing was stored.</exception>
    /// <exception cref="Mesh.ServiceException">The segment-writer could not make a profile durable.</exception>
    public async Task<IngestResult> PushAsync(PushV1.PushRequest request, string tenant, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ValidateTenant(tenant);
        var pushes = new List<SegmentPush>();
        var profiles = 0;
        foreach (var series in request.Series)
        {
            var labels = new List<LabelPair>(series.Labels.Count);
            foreach (var label in series.Labels)
            {
                labels.Add(new LabelPair(label.Name, label.Value));
            }

            foreach (var sample in series.Samples)
            {
                var id = ParseProfileId(sample.ID);
                var raw = sample.RawProfile.Memory;
                var profile = await ExpandAsync(() => Decode(raw), cancellationToken);
                pushes.AddRange(Prepare(tenant, profile, labels, 0, id));
                profiles++;
            }
        }

        return await WriteAsync(tenant, profiles, pushes, cancellationToken);
    }

    /// <summary>
    /// Normalises a decoded profile and builds one segment-writer request per sample-label group the normaliser
    /// produced (most profiles have one), each with the group's samples and placed on its own shard. No I/O.
    /// </summary>
    /// <exception cref="ProfileException">The profile or its labels are invalid.</exception>
    public IReadOnlyList<SegmentPush> Prepare(string tenant, Profile profile, IReadOnlyList<LabelPair> labels, long fallbackTimeNanos, ReadOnlyMemory<byte> profileId)
    {
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(labels);
        CheckMetricName(labels);
        var series = Normalizer.Normalize(profile, labels, fallbackTimeNanos, _time.GetUtcNow());
        if (series.Count == 0)
        {
            return [];
        }

        var id = profileId.IsEmpty ? NewProfileId() : ByteString.CopyFrom(profileId.Span);
        var pushes = new List<SegmentPush>(1);

        // Every series shares the one decoded profile; a sample-label group names its samples (null = all). Groups
        // are placed by their labels, and the groups that land on one shard travel in one push, so the profile and
        // its symbols go to each shard once.
        var byShard = new Dictionary<uint, SegmentPush>();
        foreach (var s in series)
        {
            var shard = _placement.Shard(tenant, s.ServiceName, GroupFingerprint(s.Labels));
            if (!byShard.TryGetValue(shard, out var push))
            {
                push = new SegmentPush { TenantId = tenant, Shard = shard, Profile = s.Profile, ProfileId = id };
                byShard.Add(shard, push);
                pushes.Add(push);
            }

            var seriesRef = new SeriesRef { ValueIndex = s.ValueIndex, ProfileType = s.Type.Id, TimestampNanos = s.TimestampNanos };
            if (s.SampleIndexes is { } samples)
            {
                seriesRef.SampleIndexes.AddRange(samples);
            }

            foreach (var label in s.Labels)
            {
                seriesRef.Labels.Add(new WireLabel { Name = label.Name, Value = label.Value });
            }

            push.Series.Add(seriesRef);
        }

        return pushes;
    }

    /// <summary>
    /// The fingerprint that places a group: its labels without the per-sample-type ones, so every series of one
    /// profile lands on the same shard and the same labels always do.
    /// </summary>
    internal static ulong GroupFingerprint(LabelSet seriesLabels) =>
        LabelSet.Create(seriesLabels.Where(l => !PerTypeLabels.Contains(l.Name))).Fingerprint;

    private async Task<IngestResult> WriteAsync(string tenant, int profiles, IReadOnlyList<SegmentPush> pushes, CancellationToken cancellationToken)
    {
        if (pushes.Count == 0)
        {
            Log.NothingToStore(_logger, tenant, profiles);
            return new IngestResult(profiles, 0, 0);
        }

        var tasks = new Task[pushes.Count];
        for (var i = 0; i < pushes.Count; i++)
        {
            tasks[i] = _writer.PushAsync(pushes[i], cancellationToken);
        }

        await Task.WhenAll(tasks);
        var seriesCount = pushes.Sum(p => p.Series.Count);
        Log.Stored(_logger, tenant, profiles, seriesCount, pushes.Count);
        return new IngestResult(profiles, seriesCount, pushes.Count);
    }

    /// <summary>
    /// <c>__name__</c>, when present, must be a Prometheus metric name (<c>[a-zA-Z_:][a-zA-Z0-9_:]*</c>), as
    /// Pyroscope requires; its absence is reported by the normaliser.
    /// </summary>
    private static void CheckMetricName(IReadOnlyList<LabelPair> labels)
    {
        foreach (var label in labels)
        {
            if (label.Name != LabelNames.MetricName || label.Value.Length == 0)
            {
                continue;
            }

            var value = label.Value;
            for (var i = 0; i < value.Length; i++)
            {
                var c = value[i];
                if (!(char.IsAsciiLetter(c) || c is '_' or ':' || (i > 0 && char.IsAsciiDigit(c))))
                {
                    throw new InvalidLabelsException($"invalid labels '{{{string.Join(", ", labels)}}}' with error: invalid metric name '{value}'");
                }
            }
        }
    }

    private static ReadOnlyMemory<byte> ParseProfileId(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return ReadOnlyMemory<byte>.Empty;
        }

        if (!Guid.TryParse(text, out var guid))
        {
            throw new IngestRejectedException(RejectionReason.InvalidArgument, $"invalid profile id '{text}': not a UUID");
        }

        return guid.ToByteArray(bigEndian: true);
    }

    /// <exception cref="IngestRejectedException">The tenant id is invalid (<see cref="TenantId.IsValid"/>).</exception>
    private static void ValidateTenant(string tenant)
    {
        if (!TenantId.IsValid(tenant, out var error))
        {
            throw new IngestRejectedException(RejectionReason.InvalidArgument, error);
        }
    }

    private static ByteString NewProfileId() => ByteString.CopyFrom(Guid.NewGuid().ToByteArray(bigEndian: true));

    /// <summary>One admitted request; disposing it lets the next one in.</summary>
    public readonly struct Admission(IngestPipeline pipeline) : IDisposable
    {
        public void Dispose() => Interlocked.Decrement(ref pipeline._inflight);
    }
}
