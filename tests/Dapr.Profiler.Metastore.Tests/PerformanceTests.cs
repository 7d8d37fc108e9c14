using System.Diagnostics;
using Dapr.Profiler.Protos.Metastore;

namespace Dapr.Profiler.Metastore.Tests;

/// <summary>
/// Prints AddBlock latency (append + commit/fsync + apply) and query times on this machine. These are measurements,
/// not assertions on speed; they only check that the work was done.
/// </summary>
public sealed class PerformanceTests(ITestOutputHelper output) : MetastoreTestBase
{
    [Fact]
    public async Task AddBlock_Latency_IsReported()
    {
        var options = NewOptions();
        options.SnapshotEveryCommands = 8192;
        options.SnapshotEveryBytes = 64L * 1024 * 1024;
        var node = await OpenAsync(options);
        const int Warmup = 100;
        const int Count = 1000;
        for (var i = 0; i < Warmup; i++)
        {
            await node.AddBlockAsync(TestBlocks.Segment(i, TestBlocks.Now.AddSeconds(i)), Token);
        }

        var blocks = Enumerable.Range(Warmup, Count).Select(i => TestBlocks.Segment(i, TestBlocks.Now.AddSeconds(i))).ToList();
        var sequential = new double[Count];
        for (var i = 0; i < Count; i++)
        {
            var started = Stopwatch.GetTimestamp();
            await node.AddBlockAsync(blocks[i], Token);
            sequential[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        }

        // Eight shards flushing at once: their AddBlocks share commits.
        var concurrent = new double[Count];
        var more = Enumerable.Range(Warmup + Count, Count).Select(i => TestBlocks.Segment(i, TestBlocks.Now.AddSeconds(i), (uint)(i % 8))).ToList();
        var wall = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, 8).Select(shard => Task.Run(async () =>
        {
            for (var i = shard; i < Count; i += 8)
            {
                var started = Stopwatch.GetTimestamp();
                await node.AddBlockAsync(more[i], Token);
                concurrent[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            }
        }, Token)));
        wall.Stop();

        output.WriteLine($"AddBlock, one writer, {Count} segments of {blocks[0].Datasets.Count} datasets ({blocks[0].CalculateSize()} B): {Summary(sequential)}");
        output.WriteLine($"AddBlock, 8 concurrent writers: {Summary(concurrent)}; {Count / wall.Elapsed.TotalSeconds:F0} blocks/s");
        Assert.Equal(Warmup + (2 * Count), node.BlockCount);
    }

    [Fact]
    public async Task QueryMetadata_OverThousandsOfBlocks_IsReported()
    {
        var node = await OpenAsync();
        var service = new MetastoreService(node);
        const int Count = 5000;
        var start = TestBlocks.Now.AddDays(-5);
        for (var i = 0; i < Count; i++)
        {
            // 5000 segments over five days: one per 86 s, 20 datasets each.
            await node.AddBlockAsync(TestBlocks.Segment(i, start.AddSeconds(i * 86.4), (uint)(i % 4)), Token);
        }

        var from = TestBlocks.Ms(start.AddDays(2));
        var to = from + (long)TimeSpan.FromHours(1).TotalMilliseconds;
        QueryMetadataResponse? response = null;
        var times = new double[50];
        for (var i = 0; i < times.Length; i++)
        {
            var started = Stopwatch.GetTimestamp();
            response = await QueryMetadataTests.QueryAsync(service, ["tenant-1"], from, to, "{service_name=\"service-7\"}");
            times[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        }

        var labelTimes = new double[50];
        var request = new MetadataQueryRequest { StartTime = TestBlocks.Ms(start), EndTime = TestBlocks.Ms(TestBlocks.Now) };
        request.TenantId.Add("tenant-1");
        for (var i = 0; i < labelTimes.Length; i++)
        {
            var started = Stopwatch.GetTimestamp();
            await service.LabelValuesAsync(new LabelValuesRequest { Name = "service_name", Query = request }, Token);
            labelTimes[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        }

        output.WriteLine($"QueryMetadata, 1 h of {Count} blocks over 5 days, one service: {response!.Blocks.Count} blocks; {Summary(times)}");
        output.WriteLine($"LabelValues(service_name) over all 5 days ({Count * 5} datasets of the tenant): {Summary(labelTimes)}");
        Assert.NotEmpty(response.Blocks);
    }

    private static string Summary(double[] samples)
    {
        var sorted = samples.Order().ToArray();
        double At(double q) => sorted[Math.Min(sorted.Length - 1, (int)(q * sorted.Length))];
        return $"p50 {At(0.50):F2} ms, p90 {At(0.90):F2} ms, p99 {At(0.99):F2} ms, max {sorted[^1]:F2} ms";
    }
}
