using Dapr.Profiler.Server.FunctionalTests.Hosting;
using Dapr.Profiler.Server.FunctionalTests.Support;

namespace Dapr.Profiler.Server.FunctionalTests;

/// <summary>
/// SIGTERM while clients are pushing: the server drains the pushes it is working on (they get their 200 once
/// durable), exits with code 0, and every acknowledged profile is there after a restart. Runs the executable at
/// the default segment duration (500 ms), so pushes are waiting for their segment when the signal arrives.
/// </summary>
[Collection(ServerProcesses.Name)]
public sealed class GracefulShutdownTests
{
    private const string Tenant = "anonymous";
    private const string Service = "sigterm-app";
    private const int Pushers = 8;

    [Fact]
    public async Task Sigterm_WithPushesInFlight_DrainsThem_ExitsZero_AndKeepsEveryAcknowledgedProfile()
    {
        var cancel = TestContext.Current.CancellationToken;
        using var dir = new TempDirectory();
        ContinuousPushers pushers;
        int exitCode;
        string stoppedLog;
        var server = await ServerProcess.StartAsync(dir.Path);
        try
        {
            // Once every pusher is busy (two rounds acknowledged), SIGTERM while their next pushes wait for a segment.
            pushers = ContinuousPushers.Start(server, Tenant, Service, Pushers, acksWanted: 2 * Pushers, cancel);
            await Task.WhenAny(pushers.Acknowledged, pushers.Completion).WaitAsync(TimeSpan.FromSeconds(60), cancel);
            Assert.True(pushers.Acknowledged.IsCompleted, $"the pushers stopped early:\n{pushers.DescribeFailures()}\n{server.Logs}");
            pushers.Mark();
            var stop = server.StopGracefullyAsync(TimeSpan.FromSeconds(60));
            await pushers.Completion.WaitAsync(TimeSpan.FromSeconds(60), cancel);
            exitCode = await stop;
            stoppedLog = server.Logs;
        }
        finally
        {
            await server.DisposeAsync();
        }

        var failures = pushers.DescribeFailures();
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"{pushers.Sent.Count} pushes, {pushers.Sent.Count(p => p.Acknowledged)} acknowledged, {pushers.AcknowledgedAfterMark.Count} drained after SIGTERM; without 200:\n{failures}");
        Assert.True(exitCode == 0, $"exit code {exitCode} after SIGTERM\n{stoppedLog}");

        // The pushes in flight at SIGTERM were answered, not cut off: some were acknowledged after the signal.
        Assert.True(pushers.AcknowledgedAfterMark.Count > 0, $"no push in flight at SIGTERM was acknowledged\n{failures}\n{stoppedLog}");

        // A push is acknowledged, refused as unavailable (shutting down) or not sent (the listener is closed);
        // none is cut off without an answer (reset, premature end) once the server has taken it.
        Assert.All(
            pushers.Sent.Where(p => !p.Acknowledged),
            p => Assert.True(p.Status == 503 || p.TransportError == HttpRequestError.ConnectionError, $"{p.TimestampNanos}: {p.Failure}\n{stoppedLog}"));

        await using var restarted = await ServerProcess.StartAsync(dir.Path);
        var index = await restarted.QueryMetadataAsync(Tenant, $"{{service_name=\"{Service}\"}}");
        var stored = Bucket.Rows(restarted.DataDirectory, index, Tenant, Service);
        Pusher.AssertAcknowledgedStored(pushers.Sent, stored, "after SIGTERM and restart\n" + stoppedLog);
        Assert.Equal(stored.Count, Bucket.IndexedProfileCount(index, Tenant, Service));
    }
}
