using Dapr.Profiler.Block;
using Dapr.Profiler.Model;
using Dapr.Profiler.Mesh;
using Dapr.Profiler.ObjectStorage;
using Dapr.Profiler.Protos.Block;
using Dapr.Profiler.TestKit;
using Microsoft.Extensions.Logging;
using static Dapr.Profiler.QueryBackend.Tests.CorpusSeries;

namespace Dapr.Profiler.QueryBackend.Tests;

/// <summary>Records the reads the query-backend makes, and can pretend the store has no range reads.</summary>
internal sealed class RecordingStore(IObjectStore inner, bool rangeReads) : IObjectStore
{
    private readonly List<(string Operation, string Key, long Offset, int Length, int Returned)> _reads = [];

    public bool SupportsRangeReads => rangeReads;

    public IReadOnlyList<(string Operation, string Key, long Offset, int Length, int Returned)> Reads
    {
        get
        {
            lock (_reads)
            {
                return [.. _reads];
            }
        }
    }

    public Task PutAsync(string key, ReadOnlyMemory<byte> data, CancellationToken cancellationToken) => inner.PutAsync(key, data, cancellationToken);

    public async Task<byte[]> GetAsync(string key, CancellationToken cancellationToken)
    {
        var bytes = await inner.GetAsync(key, cancellationToken);
        Record("get", key, 0, -1, bytes.Length);
        return bytes;
    }

    public async Task<byte[]> GetRangeAsync(string key, long offset, int length, CancellationToken cancellationToken)
    {
        var bytes = await inner.GetRangeAsync(key, offset, length, cancellationToken);
        Record("range", key, offset, length, bytes.Length);
        return bytes;
    }

    public Task<ObjectInfo?> StatAsync(string key, CancellationToken cancellationToken) => inner.StatAsync(key, cancellationToken);

    public IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, CancellationToken cancellationToken) => inner.ListAsync(prefix, cancellationToken);

    public Task DeleteAsync(string key, CancellationToken cancellationToken) => inner.DeleteAsync(key, cancellationToken);

    private void Record(string operation, string key, long offset, int length, int returned)
    {
        lock (_reads)
        {
            _reads.Add((operation, key, offset, length, returned));
        }
    }
}

public sealed class ObjectAccessTests
{
    private static readonly Dictionary<string, string?> SmallFooterRead = new() { ["QueryBackend:FooterReadBytes"] = "1024" };

    private static async Task<BlockMeta> WriteFiveServicesAsync(TestCluster cluster) =>
        await cluster.WriteSegmentAsync(
            Tenant,
            Load("go-cpu.pb.gz", "svc-1", T0),
            Load("go-cpu-2.pb.gz", "svc-2", T0),
            Load("go-cpu-3.pb.gz", "svc-3", T0),
            Load("go-heap.pb.gz", "svc-4", T0),
            Load("node-wall.pb.gz", "svc-5", T0));

    [Fact]
    public async Task RangeReads_FetchTheFooterAndOnlyTheDatasetsRead_AndCountTheirBytes()
    {
        RecordingStore? recording = null;
        using var cluster = new TestCluster(SmallFooterRead, store => recording = new RecordingStore(store, rangeReads: true));
        var meta = await WriteFiveServicesAsync(cluster);
        var dataset = meta.Datasets.Single(d => meta.StringTable[d.Name] == "svc-3");

        var response = await cluster.InvokeAsync(Plans.Request(Plans.Read(meta), Plans.Cpu("svc-3"), T0, T0, Plans.Tree()));

        Assert.True(MergedTree("cpu", "go-cpu-3.pb.gz").TreeEquals(TreeReportCodec.ToStackTree(response.Reports[0].Tree)));
        var reads = recording!.Reads;
        Assert.All(reads, r => Assert.Equal("range", r.Operation));
        Assert.Equal(((long)meta.Size - 1024, 1024), (reads[0].Offset, reads[0].Length));
        Assert.Equal(((long)dataset.Offset, (int)dataset.Size), (reads[^1].Offset, reads[^1].Length));
        Assert.InRange(reads.Count, 2, 3);
        Assert.Equal(reads.Sum(r => (long)r.Returned), response.Stats.BytesRead);
        Assert.True(response.Stats.BytesRead < (long)meta.Size, $"read {response.Stats.BytesRead} of {meta.Size} bytes");
        Assert.Equal(1, response.Stats.DatasetsRead);
    }

    [Fact]
    public async Task WithoutRangeReads_EachBlockIsOneWholeObjectGet()
    {
        RecordingStore? recording = null;
        using var cluster = new TestCluster(SmallFooterRead, store => recording = new RecordingStore(store, rangeReads: false));
        var meta = await WriteFiveServicesAsync(cluster);
        var other = await cluster.WriteSegmentAsync(Tenant, Load("go-cpu-4.pb.gz", "svc-3", T0));

        var response = await cluster.InvokeAsync(Plans.Request(Plans.Read(meta, other), Plans.Cpu("svc-3"), T0, T0, Plans.Tree()));

        Assert.True(MergedTree("cpu", "go-cpu-3.pb.gz", "go-cpu-4.pb.gz").TreeEquals(TreeReportCodec.ToStackTree(response.Reports[0].Tree)));
        var reads = recording!.Reads;
        Assert.Equal(2, reads.Count);
        Assert.All(reads, r => Assert.Equal("get", r.Operation));
        Assert.Equal((long)(meta.Size + other.Size), response.Stats.BytesRead);
        Assert.Equal(2, response.Stats.BlocksRead);
    }

    [Fact]
    public async Task AnObjectDeletedAfterPlanning_IsSkippedWithAWarning()
    {
        using var cluster = new TestCluster();
        var kept = await cluster.WriteSegmentAsync(Tenant, Load("go-cpu.pb.gz", "svc", T0));
        var deleted = await cluster.WriteSegmentAsync(Tenant, Load("go-cpu-2.pb.gz", "svc", T0));
        await cluster.FileStore.DeleteAsync(BlockObjectKeys.Of(deleted), TestContext.Current.CancellationToken);

        var response = await cluster.InvokeAsync(
            Plans.Request(Plans.Merge(Plans.Read(kept), Plans.Read(deleted)), Plans.Cpu("svc"), T0, T0, Plans.Tree(), Plans.TimeSeries(15)));

        Assert.True(MergedTree("cpu", "go-cpu.pb.gz").TreeEquals(TreeReportCodec.ToStackTree(response.Reports[0].Tree)));
        Assert.Equal(Total("go-cpu.pb.gz", "cpu"), Assert.Single(response.Reports[1].TimeSeries.Series).Sum.Single());
        Assert.Equal(1, response.Stats.BlocksRead);
        Assert.Contains(cluster.Logs.Entries, e => e.EventId.Id == 6002 && e.Level == LogLevel.Warning && e.Message.Contains(deleted.Id, StringComparison.Ordinal));
    }

    [Fact]
    public async Task AMissingSizeInThePlan_IsTakenFromTheStore()
    {
        using var cluster = new TestCluster();
        var meta = await cluster.WriteSegmentAsync(Tenant, Load("go-cpu.pb.gz", "svc", T0));
        var planned = meta.Clone();
        planned.Size = 0;

        var response = await cluster.InvokeAsync(Plans.Request(Plans.Read(planned), Plans.Cpu("svc"), T0, T0, Plans.Tree()));

        Assert.Equal(Total("go-cpu.pb.gz", "cpu"), TreeReportCodec.ToStackTree(response.Reports[0].Tree).Total);
    }

    [Fact]
    public async Task StorageFailures_AreUnavailable_AndCorruptBlocksAreInternal()
    {
        FaultInjectingObjectStore? faults = null;
        using var cluster = new TestCluster(wrapStore: store => faults = new FaultInjectingObjectStore(store));
        var meta = await cluster.WriteSegmentAsync(Tenant, Load("go-cpu.pb.gz", "svc", T0));
        var request = Plans.Request(Plans.Merge(Plans.Read(meta)), Plans.Cpu("svc"), T0, T0, Plans.Tree());

        faults!.FailNext(ObjectStoreOperation.Get);
        var unavailable = await Assert.ThrowsAsync<ServiceException>(() => cluster.InvokeAsync(request));
        Assert.Equal(ServiceStatus.Unavailable, unavailable.Status);
        Assert.True(unavailable.IsTransient);

        var bytes = await cluster.FileStore.GetAsync(BlockObjectKeys.Of(meta), TestContext.Current.CancellationToken);
        bytes[(int)meta.Datasets[0].Offset + 20] ^= 0xff;
        await cluster.FileStore.PutAsync(BlockObjectKeys.Of(meta), bytes, TestContext.Current.CancellationToken);
        var corrupt = await Assert.ThrowsAsync<ServiceException>(() => cluster.InvokeAsync(request));
        Assert.Equal(ServiceStatus.Internal, corrupt.Status);
        Assert.Contains(cluster.Logs.Entries, e => e.EventId.Id == 6005 && e.Level == LogLevel.Error);
    }

    [Fact]
    public async Task DatasetsOutsideTheTimeRangeOrProfileType_AreNotRead()
    {
        RecordingStore? recording = null;
        using var cluster = new TestCluster(wrapStore: store => recording = new RecordingStore(store, rangeReads: true));
        var heapOnly = await cluster.WriteSegmentAsync(Tenant, Load("go-heap.pb.gz", "svc", T0));
        var late = await cluster.WriteSegmentAsync(Tenant, Load("go-cpu.pb.gz", "svc", T0 + 60_000));

        var response = await cluster.InvokeAsync(Plans.Request(Plans.Read(heapOnly, late), Plans.Cpu("svc"), T0, T0 + 1000, Plans.Tree()));

        Assert.Equal(0, TreeReportCodec.ToStackTree(response.Reports[0].Tree).Total);
        Assert.Empty(recording!.Reads);
        Assert.Equal(0, response.Stats.BlocksRead);
    }
}
