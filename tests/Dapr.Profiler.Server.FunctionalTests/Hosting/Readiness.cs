using System.Net;

namespace Dapr.Profiler.Server.FunctionalTests.Hosting;

/// <summary>Polls <c>GET /ready</c> until it answers 200 or the deadline passes.</summary>
internal static class Readiness
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(25);

    public static async Task WaitUntilReadyAsync(HttpClient client, Func<bool> exited, Func<string> logs, CancellationToken deadline)
    {
        while (true)
        {
            deadline.ThrowIfCancellationRequested();
            if (exited())
            {
                throw new InvalidOperationException("the server exited before it was ready:\n" + logs());
            }

            try
            {
                using var response = await client.GetAsync(new Uri("ready", UriKind.Relative), deadline);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not accepting connections yet.
            }

            await Task.Delay(PollInterval, deadline);
        }
    }
}
