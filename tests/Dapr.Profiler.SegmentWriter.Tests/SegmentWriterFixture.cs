using Dapr.Profiler.Model;
using Dapr.Profiler.ObjectStorage;
using Dapr.Profiler.Protos.SegmentWriter;
using Dapr.Profiler.TestKit;
using Microsoft.Extensions.Logging.Abstractions;

namespace Dapr.Profiler.SegmentWriter.Tests;

/// <summary>A segment-writer over a real filesystem bucket (with fault injection) and a recording metastore.</summary>
internal sealed class SegmentWriterFixture : IAsyncDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("segment-writer-").FullName;

    public SegmentWriterFixture(SegmentWriterOptions? options = null)
    {
        Options = options ?? new SegmentWriterOptions { SegmentDuration = TimeSpan.FromMilliseconds(50) };
        Bucket = new FileSystemObjectStore(Path.Combine(_dir, "bucket"));
        Store = new FaultInjectingObjectStore(Bucket);
        Writer = new SegmentWriterService(
            Microsoft.Extensions.Options.Options.Create(Options),
            Store,
            Metastore,
            Metrics,
            TimeProvider.System,
            NullLogger<SegmentWriterService>.Instance);
    }

    public SegmentWriterOptions Options { get; }

    public FileSystemObjectStore Bucket { get; }

    public FaultInjectingObjectStore Store { get; }

    public RecordingMetastore Metastore { get; } = new();

    public SegmentWriterMetrics Metrics { get; } = new();

    public SegmentWriterService Writer { get; }

    public Task StartAsync() => Writer.StartAsync(CancellationToken.None);

    /// <summary>A push request of a real Go CPU profile, normalised as the distributor would.</summary>
    public static PushRequest Request(string tenant, string service, uint shard, string file = "go-cpu.pb.gz")
    {
        var profile = PprofDecoder.Decode(Corpus.ReadProfile(file));
        var labels = IngestLabels.ForPprof(profile, IngestName.Parse(service), "gospy", null);
        var series = SeriesNormalizer.Default.Normalize(profile, labels, 0, DateTimeOffset.UtcNow);
        var request = new PushRequest { TenantId = tenant, Shard = shard, Profile = profile };
        foreach (var s in series)
        {
            var reference = new SeriesRef { ValueIndex = s.ValueIndex, ProfileType = s.Type.Id, TimestampNanos = s.TimestampNanos };
            reference.Labels.AddRange(s.Labels.Select(l => new Protos.Types.LabelPair { Name = l.Name, Value = l.Value }));
            request.Series.Add(reference);
        }

        return request;
    }

    public async Task<List<ObjectInfo>> ObjectsAsync(string prefix)
    {
        var list = new List<ObjectInfo>();
        await foreach (var info in Bucket.ListAsync(prefix, CancellationToken.None))
        {
            list.Add(info);
        }

        return list;
    }

    public async ValueTask DisposeAsync()
    {
        await Writer.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }
}
