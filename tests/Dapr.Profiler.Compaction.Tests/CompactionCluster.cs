using System.Globalization;
using Dapr.Profiler.Block;
using Dapr.Profiler.Mesh;
using Dapr.Profiler.Metastore;
using Dapr.Profiler.Metastore.Client;
using Dapr.Profiler.Model;
using Dapr.Profiler.ObjectStorage;
using Dapr.Profiler.Protos.Block;
using Dapr.Profiler.Protos.Compaction;
using Dapr.Profiler.Protos.Metastore;
using Dapr.Profiler.TestKit;
using System.Threading.Channels;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Dapr.Profiler.Compaction.Tests;

/// <summary>
/// The compaction services in one host over a data directory that outlives it: metastore, object store, in-process
/// actor runtime with the scheduler, and the worker. Published jobs are captured instead of delivered, so a test
/// plays the worker (and its crashes) by hand. Restart = dispose and start again over the same directory.
/// </summary>
internal sealed class CompactionCluster : IAsyncDisposable
{
    private readonly IHost _host;

    private CompactionCluster(IHost host, string directory, CapturingPublisher jobs)
    {
        _host = host;
        Directory = directory;
        Jobs = jobs;
    }

    public string Directory { get; }

    public CapturingPublisher Jobs { get; }

    public IServiceProvider Services => _host.Services;

    public IObjectStore Store => Services.GetRequiredService<IObjectStore>();

    public MetastoreService Metastore => Services.GetRequiredService<MetastoreService>();

    public CompactionWorker Worker => Services.GetRequiredService<CompactionWorker>();

    public TombstoneCleaner Cleaner => Services.GetRequiredService<TombstoneCleaner>();

    public CompactionMetrics Metrics => Services.GetRequiredService<CompactionMetrics>();

    public IActorInvoker Actors => Services.GetRequiredService<IActorInvoker>();

    public static async Task<CompactionCluster> StartAsync(string directory, params string[] settings)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = "Test" });
        var config = new Dictionary<string, string?>
        {
            ["Metastore:DataDirectory"] = directory,
            ["Metastore:DlqRecoveryEnabled"] = "false",
            ["Actors:DataDirectory"] = directory,
            ["ObjectStorage:Directory"] = Path.Combine(directory, "bucket"),
            ["Compaction:LeaseDuration"] = "00:00:01",
            ["Compaction:CleanupInterval"] = "01:00:00",
            ["Compaction:ReconcileInterval"] = "01:00:00",
        };
        foreach (var setting in settings)
        {
            var parts = setting.Split('=', 2);
            config[parts[0]] = parts[1];
        }

        builder.Configuration.AddInMemoryCollection(config);
        builder.Logging.ClearProviders();
        var jobs = new CapturingPublisher();
        var services = builder.Services;
        services.AddSingleton<ServiceMethodRegistry>();
        services.AddSingleton<IServiceInvoker, InProcessServiceInvoker>();
        services.AddSingleton<IPublisher>(jobs);
        services.AddObjectStorage(builder.Configuration);
        services.AddMetastore(builder.Configuration);
        services.AddSingleton<MetastoreClient>();
        services.AddSingleton<IMetastoreCompactionClient>(sp => sp.GetRequiredService<MetastoreClient>());
        services.AddInProcessActorRuntime(builder.Configuration);
        services.AddCompactionScheduler(builder.Configuration);
        services.AddCompactionWorker(builder.Configuration);
        var host = builder.Build();
        host.Services.GetRequiredService<ServiceMethodRegistry>().MapMetastoreMethods(host.Services);
        await host.StartAsync(TestContext.Current.CancellationToken);
        await host.Services.GetRequiredService<MetastoreNode>().Ready.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        return new CompactionCluster(host, directory, jobs);
    }

    /// <summary>
    /// Writes a level-0 segment of <paramref name="shard"/> with the given (tenant, service, time) profiles and indexes
    /// it; times are milliseconds after <see cref="Profiles.BaseMs"/> (ten minutes ago, well inside retention).
    /// </summary>
    public async Task<BlockMeta> AddSegmentAsync(uint shard, DateTimeOffset created, params (string Tenant, string Service, long TimestampMs)[] profiles)
    {
        var writer = new BlockWriter();
        foreach (var (tenant, service, timestampMs) in profiles)
        {
            foreach (var series in Profiles.Series(Profiles.GoCpu, service, (Profiles.BaseMs + timestampMs) * 1_000_000))
            {
                writer.Add(tenant, series);
            }
        }

        var (bytes, meta) = writer.Build(Ulid.NewUlid(created).ToString(), shard, 0, "test");
        await Store.PutAsync(BlockObjectKeys.Of(meta), bytes, TestContext.Current.CancellationToken);
        await Metastore.AddBlockAsync(new AddBlockRequest { Block = meta }, TestContext.Current.CancellationToken);
        return meta;
    }

    public Task<PollResponse> PollAsync(uint shard) => Actors.InvokeAsync<PollRequest, PollResponse>(
        DaprNames.Actors.CompactionScheduler, new ActorId(shard.ToString(CultureInfo.InvariantCulture)), DaprNames.Actors.CompactionSchedulerPoll, new PollRequest(), TestContext.Current.CancellationToken);

    public Task<CompleteJobResponse> CompleteAsync(CompactionJob job, IEnumerable<BlockMeta> outputs)
    {
        var request = new CompleteJobRequest { Name = job.Name, Token = job.Token };
        request.Outputs.AddRange(outputs);
        return Actors.InvokeAsync<CompleteJobRequest, CompleteJobResponse>(
            DaprNames.Actors.CompactionScheduler, new ActorId(job.Shard.ToString(CultureInfo.InvariantCulture)), DaprNames.Actors.CompactionSchedulerCompleteJob, request, TestContext.Current.CancellationToken);
    }

    /// <summary>The blocks of a shard by level, from the index.</summary>
    public async Task<List<BlockMeta>> BlocksAsync(uint shard) =>
        [.. (await Metastore.CompactableBlocksAsync(new CompactableBlocksRequest { Shard = shard, BelowLevel = 100 }, TestContext.Current.CancellationToken)).Blocks];

    /// <summary>Every object key under a prefix.</summary>
    public async Task<List<string>> KeysAsync(string prefix)
    {
        var keys = new List<string>();
        await foreach (var info in Store.ListAsync(prefix, TestContext.Current.CancellationToken))
        {
            keys.Add(info.Key);
        }

        return keys;
    }

    /// <summary>Rows (profiles × series) of a tenant's service in the index, counted from metadata.</summary>
    public async Task<long> IndexedRowsAsync(string tenant, string service)
    {
        var request = new QueryMetadataRequest { StartTime = long.MinValue, EndTime = long.MaxValue, Query = $"{{service_name=\"{service}\"}}" };
        request.TenantId.Add(tenant);
        var response = await Metastore.QueryMetadataAsync(request, TestContext.Current.CancellationToken);
        return response.Blocks.SelectMany(b => b.Datasets).Sum(d => (long)d.ProfileCount);
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync(CancellationToken.None);
        _host.Dispose();
    }
}

/// <summary>Captures published compaction jobs; a test awaits the next one.</summary>
internal sealed class CapturingPublisher : IPublisher
{
    private readonly Channel<CompactionJob> _published = Channel.CreateUnbounded<CompactionJob>();
    private int _count;

    public int Published => Volatile.Read(ref _count);

    public Task PublishAsync(string pubSubName, string topic, ReadOnlyMemory<byte> data, string contentType, CancellationToken cancellationToken)
    {
        Assert.Equal(DaprNames.Topics.CompactionJobs, topic);
        Assert.True(_published.Writer.TryWrite(CompactionJob.Parser.ParseFrom(data.Span)));
        Interlocked.Increment(ref _count);
        return Task.CompletedTask;
    }

    /// <summary>The next published job (in publish order), waiting for it up to <paramref name="timeout"/>.</summary>
    public async Task<CompactionJob> NextAsync(TimeSpan? timeout = null)
    {
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cancel.CancelAfter(timeout ?? TimeSpan.FromSeconds(30));
        try
        {
            return await _published.Reader.ReadAsync(cancel.Token);
        }
        catch (OperationCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException("no compaction job was published in time");
        }
    }

    /// <summary>Whether a job is waiting, without waiting.</summary>
    public bool TryTake(out CompactionJob job) => _published.Reader.TryRead(out job!);
}

/// <summary>Corpus profiles as series, labelled like the distributor does.</summary>
internal static class Profiles
{
    private static readonly Lazy<Protos.Pprof.Profile> Cpu = new(() => PprofDecoder.Decode(Corpus.ReadProfile("go-cpu.pb.gz")));

    public static Protos.Pprof.Profile GoCpu => Cpu.Value;

    /// <summary>The data time test profiles are placed after: ten minutes before the test process started.</summary>
    public static long BaseMs { get; } = DateTimeOffset.UtcNow.AddMinutes(-10).ToUnixTimeMilliseconds();

    public static List<ProfileSeries> Series(Protos.Pprof.Profile profile, string service, long timestampNanos)
    {
        var result = new List<ProfileSeries>(profile.SampleType.Count);
        var strings = profile.StringTable;
        for (var i = 0; i < profile.SampleType.Count; i++)
        {
            var type = new ProfileTypeId(
                "process_cpu",
                strings[(int)profile.SampleType[i].Type],
                strings[(int)profile.SampleType[i].Unit],
                strings[(int)profile.PeriodType.Type],
                strings[(int)profile.PeriodType.Unit]);
            var labels = LabelSet.Create(
            [
                new(LabelNames.ServiceName, service),
                new(LabelNames.MetricName, "process_cpu"),
                new(LabelNames.ProfileType, type.Id),
            ]);
            result.Add(new ProfileSeries(labels, type, profile, i, timestampNanos));
        }

        return result;
    }
}
