using Dapr.Profiler.Mesh;
using Dapr.Profiler.ObjectStorage;
using Dapr.Profiler.Protos.Metastore;
using Google.Protobuf;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Dapr.Profiler.Metastore.Tests;

/// <summary>The host wiring: options, hosted services, methods on the registry, readiness, DLQ loop.</summary>
public sealed class RegistrationTests : MetastoreTestBase
{
    private IHost BuildHost(IObjectStore store, params (string Key, string? Value)[] settings)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(
            [
                new("Metastore:DataDirectory", DataDirectory),
                new("Metastore:DlqRecoveryInterval", "00:00:01"),

                // The test blocks hold data of a fixed date; the host's retention runs on the wall clock and would
                // remove them once they are older than the default period.
                new("Retention:Period", "00:00:00"),
            ]);
        builder.Configuration.AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)));
        builder.Services.AddSingleton(store);
        builder.Services.AddSingleton<ServiceMethodRegistry>();
        builder.Services.AddMetastore(builder.Configuration);
        return builder.Build();
    }

    [Fact]
    public void RetentionSettings_BindFromConfiguration_WithPerTenantPeriods()
    {
        using var host = BuildHost(
            new FileSystemObjectStore(Path.Combine(DataDirectory, "bucket")),
            ("Retention:Period", "2.00:00:00"),
            ("Retention:Tenants:acme", "7.00:00:00"),
            ("Retention:Tenants:keep-all", "0"),
            ("Retention:Interval", "00:00:05"));
        var options = host.Services.GetRequiredService<IOptions<RetentionOptions>>().Value;
        Assert.Equal(TimeSpan.FromDays(7), options.PeriodOf("acme"));
        Assert.Equal(TimeSpan.Zero, options.PeriodOf("keep-all"));
        Assert.Equal(TimeSpan.FromDays(2), options.PeriodOf("anyone-else"));
        Assert.Equal(TimeSpan.FromSeconds(5), options.Interval);
    }

    [Fact]
    public void RetentionSettings_ThatAreInvalid_StopTheStart_NamingTheSetting()
    {
        using var host = BuildHost(new FileSystemObjectStore(Path.Combine(DataDirectory, "bucket")), ("Retention:Tenants:acme", "-1.00:00:00"));
        var error = Assert.Throws<OptionsValidationException>(() => host.Services.GetRequiredService<IOptions<RetentionOptions>>().Value);
        Assert.Contains("Retention:Tenants:acme", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Host_RecoversAtStart_ServesTheMappedMethods_AndNeverReadsObjectsForQueries()
    {
        var store = new CountingObjectStore(new FileSystemObjectStore(Path.Combine(DataDirectory, "bucket")));
        using var host = BuildHost(store);
        var registry = host.Services.GetRequiredService<ServiceMethodRegistry>();
        registry.MapMetastoreMethods(host.Services);
        await host.StartAsync(Token);
        var node = host.Services.GetRequiredService<MetastoreNode>();
        await node.Ready.WaitAsync(TimeSpan.FromSeconds(30), Token);
        var health = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(r => r.Tags.Contains(MetastoreRegistration.ReadyTag), Token);
        var invoker = new InProcessServiceInvoker(registry);
        var block = TestBlocks.Segment(1, TestBlocks.Now);

        await invoker.InvokeAsync<AddBlockRequest, AddBlockResponse>(
            DaprNames.AppIds.Metastore, DaprNames.Methods.MetastoreAddBlock, new AddBlockRequest { Block = block }, Token);
        var gets = store.Gets;
        var query = new QueryMetadataRequest { EndTime = long.MaxValue };
        query.TenantId.Add("tenant-0");
        var blocks = await invoker.InvokeAsync<QueryMetadataRequest, QueryMetadataResponse>(
            DaprNames.AppIds.Metastore, DaprNames.Methods.MetastoreQueryMetadata, query, Token);
        var metadata = new MetadataQueryRequest { EndTime = long.MaxValue };
        metadata.TenantId.Add("tenant-0");
        var types = await invoker.InvokeAsync<MetadataQueryRequest, ProfileTypesResponse>(
            DaprNames.AppIds.Metastore, DaprNames.Methods.MetastoreProfileTypes, metadata, Token);
        var names = await invoker.InvokeAsync<MetadataQueryRequest, LabelNamesResponse>(
            DaprNames.AppIds.Metastore, DaprNames.Methods.MetastoreLabelNames, metadata, Token);
        var values = await invoker.InvokeAsync<LabelValuesRequest, LabelValuesResponse>(
            DaprNames.AppIds.Metastore, DaprNames.Methods.MetastoreLabelValues, new LabelValuesRequest { Name = "pod", Query = metadata }, Token);
        var series = await invoker.InvokeAsync<SeriesLabelsRequest, SeriesLabelsResponse>(
            DaprNames.AppIds.Metastore, DaprNames.Methods.MetastoreSeriesLabels, new SeriesLabelsRequest { Query = metadata }, Token);
        var stats = await invoker.InvokeAsync<TenantStatsRequest, TenantStatsResponse>(
            DaprNames.AppIds.Metastore, DaprNames.Methods.MetastoreTenantStats, new TenantStatsRequest { TenantId = "tenant-0" }, Token);

        Assert.Equal(HealthStatus.Healthy, health.Status);
        Assert.Equal(block.Id, Assert.Single(blocks.Blocks).Id);
        Assert.NotEmpty(types.ProfileTypes);
        Assert.Contains("pod", names.Names);
        Assert.NotEmpty(values.Names);
        Assert.NotEmpty(series.LabelsSet);
        Assert.True(stats.DataIngested);
        Assert.Equal(gets, store.Gets);
        await host.StopAsync(Token);
        Assert.False(node.IsReady);
    }

    [Fact]
    public async Task Host_RunsDlqRecovery_InTheBackground()
    {
        var store = new FileSystemObjectStore(Path.Combine(DataDirectory, "bucket"));
        var block = TestBlocks.Segment(7, TestBlocks.Now, shard: 2);
        await store.PutAsync($"dlq/2/anonymous/{block.Id}/meta.pb", block.ToByteArray(), Token);
        using var host = BuildHost(store);
        await host.StartAsync(Token);
        var node = host.Services.GetRequiredService<MetastoreNode>();

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (node.BlockCount == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50, Token);
        }

        Assert.Equal(1, node.BlockCount);
        await host.StopAsync(Token);
    }

    [Theory]
    [InlineData("SnapshotEveryCommands", "0")]
    [InlineData("LogPageSizeBytes", "100000")]
    [InlineData("LogSegmentSizeBytes", "65536")]
    [InlineData("PartitionDuration", "00:00:10")]
    [InlineData("DataDirectory", "")]
    public void Options_AreValidatedAtStart(string name, string value)
    {
        using var host = BuildHost(new FileSystemObjectStore(Path.Combine(DataDirectory, "bucket")), ($"Metastore:{name}", value));

        var error = Assert.Throws<OptionsValidationException>(() => host.Services.GetRequiredService<IOptions<MetastoreOptions>>().Value);
        Assert.Contains(error.Failures, f => f.Contains(name, StringComparison.Ordinal));
    }

    /// <summary>Counts object reads, to show that queries never read objects.</summary>
    private sealed class CountingObjectStore(IObjectStore inner) : IObjectStore
    {
        private int _gets;

        public int Gets => _gets;

        public bool SupportsRangeReads => inner.SupportsRangeReads;

        public Task PutAsync(string key, ReadOnlyMemory<byte> data, CancellationToken cancellationToken) => inner.PutAsync(key, data, cancellationToken);

        public Task<byte[]> GetAsync(string key, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _gets);
            return inner.GetAsync(key, cancellationToken);
        }

        public Task<byte[]> GetRangeAsync(string key, long offset, int length, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _gets);
            return inner.GetRangeAsync(key, offset, length, cancellationToken);
        }

        public Task<ObjectInfo?> StatAsync(string key, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _gets);
            return inner.StatAsync(key, cancellationToken);
        }

        public IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, CancellationToken cancellationToken) => inner.ListAsync(prefix, cancellationToken);

        public Task DeleteAsync(string key, CancellationToken cancellationToken) => inner.DeleteAsync(key, cancellationToken);
    }

}
