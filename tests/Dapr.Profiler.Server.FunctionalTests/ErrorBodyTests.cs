using System.Net;
using System.Text.Json;
using Dapr.Profiler.Server.FunctionalTests.Hosting;

namespace Dapr.Profiler.Server.FunctionalTests;

/// <summary>Every error answer carries a message, also where no API runs: unknown routes, wrong methods, overlong URLs.</summary>
public sealed class ErrorBodyTests
{
    [Theory]
    [InlineData("GET", "no/such/route", HttpStatusCode.NotFound, "not_found")]
    [InlineData("POST", "querier.v1.QuerierService/SelectMergeStacktraces/x", HttpStatusCode.NotFound, "not_found")]
    [InlineData("GET", "ingest", HttpStatusCode.MethodNotAllowed, "unimplemented")]
    public async Task ErrorsNoApiWroteABodyFor_GetAJsonMessage(string method, string path, HttpStatusCode status, string code)
    {
        await using var server = await InProcessServer.StartAsync();
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        using var response = await server.Client.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(status, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal(code, body.RootElement.GetProperty("code").GetString());
        Assert.Contains("/" + path, body.RootElement.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AQueryStringOfHundredsOfKilobytes_ReachesTheApi_AndGetsItsLimitNamed()
    {
        await using var server = await InProcessServer.StartAsync();
        var selector = "{service_name=\"" + new string('v', 300_000) + "\"}";
        var url = "pyroscope/render?query=" + Uri.EscapeDataString("process_cpu:cpu:nanoseconds:cpu:nanoseconds" + selector) + "&from=now-1h";
        using var response = await server.Client.GetAsync(url, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("QueryFrontend:MaxSelectorLength", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
    }
}
