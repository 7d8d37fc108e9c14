using Google.Protobuf.WellKnownTypes;

namespace Dapr.Profiler.Mesh.Tests;

public sealed class InProcessServiceInvokerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task RegisteredMethod_IsCalledWithTheRequest()
    {
        var registry = new ServiceMethodRegistry();
        registry.Map<StringValue, StringValue>("app", "Echo", (request, ct) => Task.FromResult(new StringValue { Value = "echo:" + request.Value }));
        var invoker = new InProcessServiceInvoker(registry);

        var response = await invoker.InvokeAsync<StringValue, StringValue>("app", "Echo", new StringValue { Value = "hi" }, Ct);

        Assert.Equal("echo:hi", response.Value);
    }

    [Fact]
    public async Task UnknownMethod_IsUnavailable_AndHandlerErrorsKeepTheirStatus()
    {
        var registry = new ServiceMethodRegistry();
        registry.Map<Empty, Empty>("app", "Fail", (request, ct) => throw new ServiceException(ServiceStatus.NotFound, "no such block"));
        var invoker = new InProcessServiceInvoker(registry);

        var missing = await Assert.ThrowsAsync<ServiceException>(() => invoker.InvokeAsync<Empty, Empty>("app", "Nope", new Empty(), Ct));
        var failed = await Assert.ThrowsAsync<ServiceException>(() => invoker.InvokeAsync<Empty, Empty>("app", "Fail", new Empty(), Ct));

        Assert.Equal(ServiceStatus.Unavailable, missing.Status);
        Assert.True(missing.IsTransient);
        Assert.Equal(ServiceStatus.NotFound, failed.Status);
        Assert.Throws<InvalidOperationException>(() => registry.Map<Empty, Empty>("app", "Fail", (r, ct) => Task.FromResult(new Empty())));
    }
}
