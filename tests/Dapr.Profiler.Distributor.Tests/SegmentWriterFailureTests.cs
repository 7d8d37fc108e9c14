using Dapr.Profiler.Mesh;
using Dapr.Profiler.TestKit;
using Microsoft.Extensions.Logging;

namespace Dapr.Profiler.Distributor.Tests;

/// <summary>A failed segment write never answers 200; its status tells the client whether to retry.</summary>
public sealed class SegmentWriterFailureTests
{
    [Theory]
    [InlineData(ServiceStatus.Unavailable, 503, "unavailable")]
    [InlineData(ServiceStatus.ResourceExhausted, 429, "resource_exhausted")]
    [InlineData(ServiceStatus.InvalidArgument, 400, "invalid_argument")]
    [InlineData(ServiceStatus.Internal, 500, "internal")]
    [InlineData(ServiceStatus.FailedPrecondition, 500, "internal")]
    public async Task IngestAndPush_WhenTheSegmentWriterFails_AnswerTheMappedStatus(ServiceStatus status, int expectedStatus, string expectedCode)
    {
        await using var host = await DistributorHost.StartAsync();
        host.Writer.Failure = _ => new ServiceException(status, "object store is down");

        var ingest = await host.SendAsync(IngestRequests.Ingest(
            IngestRequests.CapturedUrl("node-wall.pb.gz"), IngestRequests.Bytes(Corpus.ReadProfile("node-wall.pb.gz"))));
        var push = await host.SendAsync(IngestRequests.Push(IngestRequests.PushOf(([("__name__", "process_cpu")], Corpus.ReadProfile("go-cpu.pb.gz")))));

        foreach (var answer in new[] { ingest, push })
        {
            Assert.Equal(expectedStatus, answer.Status);
            Assert.Equal(expectedCode, answer.Code);
            Assert.Equal("storing the profile failed: object store is down", answer.Message);
        }

        Assert.Empty(host.Writer.Requests);
        Assert.Equal(2, host.Logs.Entries.Count(e => e.EventId.Id == 4020 && e.Level == LogLevel.Warning && e.Exception is ServiceException));

        host.Writer.Failure = null;
        var retry = await host.SendAsync(IngestRequests.Ingest(
            IngestRequests.CapturedUrl("node-wall.pb.gz"), IngestRequests.Bytes(Corpus.ReadProfile("node-wall.pb.gz"))));
        Assert.Equal(200, retry.Status);
    }

    [Fact]
    public async Task Push_WhenOneOfSeveralProfilesFails_DoesNotAnswer200()
    {
        await using var host = await DistributorHost.StartAsync();
        var fail = true;
        host.Writer.Failure = _ => Interlocked.Exchange(ref fail, false) ? new ServiceException(ServiceStatus.Unavailable, "shard 2 is down") : null;
        var push = IngestRequests.PushOf(
            ([("__name__", "process_cpu"), ("service_name", "a")], Corpus.ReadProfile("go-cpu.pb.gz")),
            ([("__name__", "process_cpu"), ("service_name", "b")], Corpus.ReadProfile("go-cpu-2.pb.gz")));

        var answer = await host.SendAsync(IngestRequests.Push(push));

        Assert.Equal(503, answer.Status);
        Assert.Single(host.Writer.Requests);
    }

    [Fact]
    public async Task Ingest_WhenTheSegmentWriterThrowsAnUnexpectedException_Answers500AndLogsAnError()
    {
        await using var host = await DistributorHost.StartAsync();
        host.Writer.Failure = _ => new InvalidOperationException("bug");

        var answer = await host.SendAsync(IngestRequests.Ingest("/ingest?name=app", IngestRequests.Text("main 1\n")));

        Assert.Equal(500, answer.Status);
        Assert.Equal("internal", answer.Code);
        Assert.DoesNotContain("bug", answer.Message, StringComparison.Ordinal);
        Assert.Contains(host.Logs.Entries, e => e.EventId.Id == 4030 && e.Level == LogLevel.Error && e.Exception is InvalidOperationException);
    }
}
