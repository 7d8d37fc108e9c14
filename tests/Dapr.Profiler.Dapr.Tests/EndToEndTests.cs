using System.Net.Http.Headers;
using Dapr.Profiler.Mesh;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Dapr.Profiler.Dapr.Tests;

/// <summary>DaprServiceInvoker → fake sidecar → an app hosting <see cref="ServiceMethodEndpoints.MapServiceMethods"/>.</summary>
public sealed class EndToEndTests
{
    private const string AppId = "metastore";
    private const string Echo = "echo.v1.EchoService/Echo";
    private const string Fail = "echo.v1.EchoService/Fail";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<(TestHost App, FakeSidecar Sidecar)> StartAsync()
    {
        var registry = new ServiceMethodRegistry();
        registry.Map<StringValue, StringValue>(AppId, Echo, (request, _) => Task.FromResult(new StringValue { Value = "echo: " + request.Value }));
        registry.Map<StringValue, Empty>(AppId, Fail, (request, _) =>
            throw new ServiceException(System.Enum.Parse<ServiceStatus>(request.Value), "failed on purpose"));
        var app = await TestHost.StartAsync(web =>
        {
            web.UseDaprAppToken("app-secret");
            web.MapServiceMethods(registry, _ => true);
        });
        var sidecar = await FakeSidecar.StartAsync();
        var forwarder = new HttpClient();
        sidecar.Handler = async (context, request) =>
        {
            const string prefix = "/v1.0/invoke/";
            var rest = request.Path[prefix.Length..];
            var target = rest[..rest.IndexOf('/', StringComparison.Ordinal)];
            var method = rest[(target.Length + "/method/".Length)..];
            if (target != AppId)
            {
                await context.AnswerJsonAsync(500, $$"""{"errorCode":"ERR_DIRECT_INVOKE","message":"failed to invoke, id: {{target}}, err: couldn't find service: {{target}}"}""");
                return;
            }

            using var forwarded = new HttpRequestMessage(HttpMethod.Post, new Uri(app.Address, "/" + method)) { Content = new ByteArrayContent(request.Body) };
            forwarded.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(request.ContentType!);
            forwarded.Headers.Add("dapr-api-token", "app-secret");
            forwarded.Headers.Add("dapr-caller-app-id", "distributor");
            using var response = await forwarder.SendAsync(forwarded, context.RequestAborted);
            context.Response.StatusCode = (int)response.StatusCode;
            context.Response.ContentType = response.Content.Headers.ContentType?.ToString();
            await context.Response.Body.WriteAsync(await response.Content.ReadAsByteArrayAsync(context.RequestAborted), context.RequestAborted);
        };
        return (app, sidecar);
    }

    [Fact]
    public async Task A_protobuf_call_goes_through_the_sidecar_and_parses_back()
    {
        var (app, sidecar) = await StartAsync();
        await using var _ = app;
        await using var __ = sidecar;
        var invoker = new DaprServiceInvoker(sidecar.CreateClient());

        var response = await invoker.InvokeAsync<StringValue, StringValue>(AppId, Echo, new StringValue { Value = "hi" }, Ct);

        Assert.Equal("echo: hi", response.Value);
        var request = Assert.Single(sidecar.Requests);
        Assert.Equal("/v1.0/invoke/metastore/method/echo.v1.EchoService/Echo", request.Path);
        Assert.Equal("application/x-protobuf", request.ContentType);
        Assert.Equal("sidecar-secret", request.Headers["dapr-api-token"]);
    }

    [Theory]
    [InlineData(ServiceStatus.InvalidArgument)]
    [InlineData(ServiceStatus.NotFound)]
    [InlineData(ServiceStatus.AlreadyExists)]
    [InlineData(ServiceStatus.PermissionDenied)]
    [InlineData(ServiceStatus.Unauthenticated)]
    [InlineData(ServiceStatus.ResourceExhausted)]
    [InlineData(ServiceStatus.FailedPrecondition)]
    [InlineData(ServiceStatus.Unavailable)]
    [InlineData(ServiceStatus.DeadlineExceeded)]
    [InlineData(ServiceStatus.Unimplemented)]
    [InlineData(ServiceStatus.Internal)]
    public async Task Errors_keep_their_status(ServiceStatus status)
    {
        var (app, sidecar) = await StartAsync();
        await using var _ = app;
        await using var __ = sidecar;
        var invoker = new DaprServiceInvoker(sidecar.CreateClient());

        var ex = await Assert.ThrowsAsync<DaprApiException>(() =>
            invoker.InvokeAsync<StringValue, Empty>(AppId, Fail, new StringValue { Value = status.ToString() }, Ct));

        Assert.Equal(status, ex.Status);
        Assert.Equal("failed on purpose", ex.Message);
    }

    [Fact]
    public async Task An_unknown_method_is_NotFound_and_an_unknown_app_is_Unavailable()
    {
        var (app, sidecar) = await StartAsync();
        await using var _ = app;
        await using var __ = sidecar;
        var invoker = new DaprServiceInvoker(sidecar.CreateClient());

        var missingMethod = await Assert.ThrowsAsync<DaprApiException>(() =>
            invoker.InvokeAsync<StringValue, StringValue>(AppId, "echo.v1.EchoService/Nope", new StringValue(), Ct));
        var missingApp = await Assert.ThrowsAsync<DaprApiException>(() =>
            invoker.InvokeAsync<StringValue, StringValue>("nobody", Echo, new StringValue(), Ct));

        Assert.Equal(ServiceStatus.NotFound, missingMethod.Status);
        Assert.Equal(ServiceStatus.Unavailable, missingApp.Status);
        Assert.Equal("ERR_DIRECT_INVOKE", missingApp.ErrorCode);
        Assert.True(missingApp.IsTransient);
    }

    [Fact]
    public async Task AddDaprMesh_registers_the_mesh_over_the_sidecar_and_waits_for_it()
    {
        await using var sidecar = await FakeSidecar.StartAsync();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["DAPR_HTTP_PORT"] = sidecar.Address.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["DAPR_API_TOKEN"] = "t0k",
        }).Build();
        var services = new ServiceCollection().AddLogging().AddDaprMesh(configuration);
        await using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });

        Assert.IsType<DaprServiceInvoker>(provider.GetRequiredService<IServiceInvoker>());
        var publisher = Assert.IsType<DaprPublisher>(provider.GetRequiredService<IPublisher>());
        var waiter = provider.GetRequiredService<DaprSidecarWaiter>();
        await waiter.StartAsync(Ct);
        await waiter.Ready.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        await publisher.PublishAsync("pubsub", "profiles", "x"u8.ToArray(), "text/plain", Ct);
        await waiter.StopAsync(Ct);

        var requests = sidecar.Requests.ToArray();
        Assert.Equal("/v1.0/healthz/outbound", requests[0].Path);
        Assert.Equal("/v1.0/publish/pubsub/profiles", requests[^1].Path);
        Assert.All(requests, r => Assert.Equal("t0k", r.Headers["dapr-api-token"]));
    }
}
