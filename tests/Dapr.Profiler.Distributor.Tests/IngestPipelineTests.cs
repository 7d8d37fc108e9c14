using Dapr.Profiler.Model;
using Dapr.Profiler.Protos.Pprof;
using Dapr.Profiler.TestKit;
using Google.Protobuf;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Dapr.Profiler.Distributor.Tests;

/// <summary>The reusable pipeline, without HTTP (as the pub/sub subscriber will use it).</summary>
public sealed class IngestPipelineTests
{
    private readonly RecordingSegmentWriter _writer = new();

    [Fact]
    public async Task IngestAsync_OfAProfileWithSampleLabels_SendsTheGroupsOfAShardInOnePush()
    {
        var pipeline = Pipeline();
        var labels = new List<LabelPair> { new("__name__", "process_cpu"), new("service_name", "api") };

        var result = await pipeline.IngestAsync("anonymous", labels, LabelledProfile().ToByteArray(), cancellationToken: TestContext.Current.CancellationToken);

        // Three series (one per sample-label group) on the default shard: one push carrying the profile once.
        Assert.Equal(new IngestResult(1, 3, 1), result);
        var push = Assert.Single(_writer.Requests);
        Assert.Equal(3, push.Series.Count);
        var spans = SegmentPushes.SeriesLabels([push]).Select(l => l.GetValueOrDefault("span_name", "-")).Order(StringComparer.Ordinal);
        Assert.Equal(["-", "GET /a", "GET /b"], spans);
        Placement.AssertDefaultShard(push);

        // Each group names its own samples; together they are every sample exactly once, and the values add up.
        var indexes = push.Series.SelectMany(s => s.SampleIndexes).ToList();
        Assert.All(push.Series, s => Assert.NotEmpty(s.SampleIndexes));
        Assert.Equal(indexes.Count, indexes.Distinct().Count());
        Assert.Equal(push.Profile.Sample.Count, indexes.Count);
        Assert.Equal(22, push.Series.Sum(s => s.SampleIndexes.Sum(i => push.Profile.Sample[i].Value[0])));
    }

    [Fact]
    public async Task IngestAsync_WhenSampleLabelsMakeTooManySeries_NamesTheLimit()
    {
        var pipeline = Pipeline(new DistributorOptions { MaxSeriesPerProfile = 1 });
        var labels = new List<LabelPair> { new("__name__", "process_cpu"), new("service_name", "api") };

        var error = await Assert.ThrowsAsync<ProfileTooLargeException>(() =>
            pipeline.IngestAsync("anonymous", labels, LabelledProfile().ToByteArray(), cancellationToken: TestContext.Current.CancellationToken));

        Assert.Equal(nameof(DistributorOptions.MaxSeriesPerProfile), error.LimitName);
        Assert.Empty(_writer.Requests);
    }

    [Fact]
    public async Task IngestAsync_WithSeveralDatasetShards_SpreadsTheLabelGroupsButKeepsEachGroupWhole()
    {
        var pipeline = Pipeline(new DistributorOptions { NumShards = 64, DatasetShards = 64 });
        for (var i = 0; i < 20; i++)
        {
            var labels = new List<LabelPair> { new("__name__", "process_cpu"), new("service_name", "api"), new("pod", $"pod-{i}") };
            await pipeline.IngestAsync("anonymous", labels, Corpus.ReadProfile("go-cpu.pb.gz"), cancellationToken: TestContext.Current.CancellationToken);
        }

        Assert.InRange(_writer.Requests.Select(p => p.Shard).Distinct().Count(), 5, 20);
        Assert.All(_writer.Requests, p => Assert.Equal(2, p.Series.Count));
    }

    [Fact]
    public async Task PushAsync_KeepsTheSampleIdAndValidatesTheTenant()
    {
        var pipeline = Pipeline();
        var push = IngestRequests.PushOf(([("__name__", "process_cpu")], Corpus.ReadProfile("go-cpu.pb.gz")));
        var id = Guid.NewGuid();
        push.Series[0].Samples[0].ID = id.ToString();

        var result = await pipeline.PushAsync(push, "tenant-7", TestContext.Current.CancellationToken);
        var rejected = await Assert.ThrowsAsync<IngestRejectedException>(() => pipeline.PushAsync(push, "bad tenant", TestContext.Current.CancellationToken));

        Assert.Equal(new IngestResult(1, 2, 1), result);
        var stored = Assert.Single(_writer.Requests);
        Assert.Equal("tenant-7", stored.TenantId);
        Assert.Equal(id.ToByteArray(bigEndian: true), stored.ProfileId.ToByteArray());
        Assert.Equal("unknown_service", stored.Series[0].Labels.Single(l => l.Name == "service_name").Value);
        Assert.Equal(RejectionReason.InvalidArgument, rejected.Reason);
    }

    [Fact]
    public async Task IngestAsync_OfAMalformedProfile_ThrowsAProfileException()
    {
        var pipeline = Pipeline();
        await Assert.ThrowsAsync<MalformedProfileException>(() =>
            pipeline.IngestAsync("anonymous", [new("__name__", "x")], new byte[] { 0x0a, 0xff }, cancellationToken: TestContext.Current.CancellationToken));
        Assert.Empty(_writer.Requests);
    }

    [Fact]
    public async Task AtMostMaxConcurrentDecodes_ExpandAtOnce_AndTheNextTakesAFreedTurn()
    {
        using var pipeline = Pipeline(new DistributorOptions { MaxConcurrentDecodes = 2 });
        var ct = TestContext.Current.CancellationToken;
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = 0;
        var twoStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        async Task<int> Work()
        {
            if (Interlocked.Increment(ref started) == 2)
            {
                twoStarted.TrySetResult();
            }

            await release.Task;
            return 1;
        }

        var first = pipeline.ExpandAsync(Work, ct);
        var second = pipeline.ExpandAsync(Work, ct);
        await twoStarted.Task.WaitAsync(ct);
        var third = pipeline.ExpandAsync(() => Volatile.Read(ref started), ct);
        Assert.False(third.IsCompleted);
        Assert.Equal(2, Volatile.Read(ref started));

        release.SetResult();
        Assert.Equal(2, await third);
        Assert.Equal(2, await first + await second);
    }

    [Fact]
    public void MoreRequestsThanMaxInflightRequests_AreRefusedAtOnce_UntilOneEnds()
    {
        using var pipeline = Pipeline(new DistributorOptions { MaxInflightRequests = 2 });
        var first = pipeline.Admit();
        using (pipeline.Admit())
        {
            var refused = Assert.Throws<IngestRejectedException>(() => pipeline.Admit());
            Assert.Equal(RejectionReason.RateLimited, refused.Reason);
            Assert.Equal("Distributor:MaxInflightRequests", refused.LimitName);
            Assert.Equal(2, pipeline.InflightRequests);
        }

        using (pipeline.Admit())
        {
            first.Dispose();
            Assert.Equal(1, pipeline.InflightRequests);
        }

        Assert.Equal(0, pipeline.InflightRequests);
    }

    private IngestPipeline Pipeline(DistributorOptions? options = null)
    {
        var o = Options.Create(options ?? new DistributorOptions());
        return new IngestPipeline(o, _writer, new ShardPlacement(o), TimeProvider.System, NullLogger<IngestPipeline>.Instance);
    }

    /// <summary>Three samples: one without labels, two with different span_name labels.</summary>
    private static Profile LabelledProfile()
    {
        var profile = new Profile { TimeNanos = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000 };
        profile.StringTable.Add(["", "cpu", "nanoseconds", "main", "work", "span_name", "GET /a", "GET /b"]);
        profile.SampleType.Add(new Protos.Pprof.ValueType { Type = 1, Unit = 2 });
        profile.PeriodType = new Protos.Pprof.ValueType { Type = 1, Unit = 2 };
        profile.Period = 10_000_000;
        profile.Function.Add(new Function { Id = 1, Name = 3 });
        profile.Function.Add(new Function { Id = 2, Name = 4 });
        profile.Location.Add(new Location { Id = 1, Line = { new Line { FunctionId = 1 } } });
        profile.Location.Add(new Location { Id = 2, Line = { new Line { FunctionId = 2 } } });
        profile.Sample.Add(new Sample { LocationId = { 2, 1 }, Value = { 10 }, Label = { new Label { Key = 5, Str = 6 } } });
        profile.Sample.Add(new Sample { LocationId = { 2, 1 }, Value = { 5 }, Label = { new Label { Key = 5, Str = 7 } } });
        profile.Sample.Add(new Sample { LocationId = { 1 }, Value = { 7 } });
        return profile;
    }
}
