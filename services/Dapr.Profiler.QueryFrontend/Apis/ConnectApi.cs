using System.Collections.Frozen;
using Dapr.Profiler.Mesh;
using Dapr.Profiler.Protos.Querier;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using LabelNamesRequest = Dapr.Profiler.Protos.Types.LabelNamesRequest;
using LabelValuesRequest = Dapr.Profiler.Protos.Types.LabelValuesRequest;

namespace Dapr.Profiler.QueryFrontend;

/// <summary>
/// <c>querier.v1.QuerierService</c> over Connect unary: <c>POST /querier.v1.QuerierService/&lt;Method&gt;</c> with an
/// <c>application/proto</c> (also <c>application/x-protobuf</c>) or <c>application/json</c> (protojson) body,
/// optionally gzip-encoded; the answer uses the request's codec and is gzip-encoded when the request has
/// <c>Accept-Encoding: gzip</c>. No Connect header is required; <c>Connect-Timeout-Ms</c> is honoured.
/// </summary>
/// <remarks>
/// Errors are Connect JSON (<c>{"code","message"}</c>): 400 <c>invalid_argument</c> for bad input, 401
/// <c>unauthenticated</c> without a tenant when multitenancy is on, 404 <c>unimplemented</c> for an unknown
/// procedure (as the Connect protocol prescribes), 405 for methods other than POST, 415 for other media types, 501
/// <c>unimplemented</c> for SelectHeatmap and unsupported features, 429 <c>resource_exhausted</c> over a query budget or
/// the tenant's concurrent-query limit (the message names the setting), 504 <c>deadline_exceeded</c> after
/// <c>QueryTimeout</c>, 503/500 when a dependency fails.
/// </remarks>
public sealed class ConnectApi
{
    /// <summary>The route prefix, as Connect names the service.</summary>
    public const string ServicePath = "/querier.v1.QuerierService";

    private static readonly FrozenDictionary<string, ConnectMethod> Methods = new ConnectMethod[]
    {
        Method<ProfileTypesRequest, ProfileTypesResponse>("ProfileTypes", ProfileTypesRequest.Descriptor, (s, r, t, ct) => s.ProfileTypesAsync(r, t, ct)),
        Method<LabelNamesRequest, Dapr.Profiler.Protos.Types.LabelNamesResponse>("LabelNames", LabelNamesRequest.Descriptor, (s, r, t, ct) => s.LabelNamesAsync(r, t, ct)),
        Method<LabelValuesRequest, Dapr.Profiler.Protos.Types.LabelValuesResponse>("LabelValues", LabelValuesRequest.Descriptor, (s, r, t, ct) => s.LabelValuesAsync(r, t, ct)),
        Method<SeriesRequest, SeriesResponse>("Series", SeriesRequest.Descriptor, (s, r, t, ct) => s.SeriesAsync(r, t, ct)),
        Method<SelectMergeStacktracesRequest, SelectMergeStacktracesResponse>("SelectMergeStacktraces", SelectMergeStacktracesRequest.Descriptor, (s, r, t, ct) => s.SelectMergeStacktracesAsync(r, t, ct)),
        Method<SelectMergeProfileRequest, Dapr.Profiler.Protos.Pprof.Profile>("SelectMergeProfile", SelectMergeProfileRequest.Descriptor, (s, r, t, ct) => s.SelectMergeProfileAsync(r, t, ct)),
        Method<SelectSeriesRequest, SelectSeriesResponse>("SelectSeries", SelectSeriesRequest.Descriptor, (s, r, t, ct) => s.SelectSeriesAsync(r, t, ct)),
        Method<DiffRequest, DiffResponse>("Diff", DiffRequest.Descriptor, (s, r, t, ct) => s.DiffAsync(r, t, ct)),
        Method<GetProfileStatsRequest, GetProfileStatsResponse>("GetProfileStats", GetProfileStatsRequest.Descriptor, (s, r, t, ct) => s.GetProfileStatsAsync(r, t, ct)),
        Method<SelectMergeSpanProfileRequest, SelectMergeSpanProfileResponse>("SelectMergeSpanProfile", SelectMergeSpanProfileRequest.Descriptor, (s, r, t, ct) => s.SelectMergeSpanProfileAsync(r, t, ct)),
        Method<SelectHeatmapRequest, IMessage>("SelectHeatmap", SelectHeatmapRequest.Descriptor, (_, _, _, _) => Task.FromException<IMessage>(
            new ServiceException(ServiceStatus.Unimplemented, "SelectHeatmap is not implemented by this server"))),
    }.ToFrozenDictionary(m => m.Name, StringComparer.Ordinal);

    private readonly QuerierService _service;
    private readonly QueryFrontendOptions _options;
    private readonly TenantQueryLimiter _limiter;
    private readonly ILogger<ConnectApi> _logger;

    public ConnectApi(QuerierService service, IOptions<QueryFrontendOptions> options, TenantQueryLimiter limiter, ILogger<ConnectApi> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _service = service;
        _options = options.Value;
        _limiter = limiter;
        _logger = logger;
    }

    /// <summary>The procedures this API answers (method names of <c>querier.v1.QuerierService</c>).</summary>
    public static IEnumerable<string> MethodNames => Methods.Keys;

    public Task HandleAsync(HttpContext context, string method)
    {
        ArgumentNullException.ThrowIfNull(context);
        return ApiRunner.RunAsync(context, _options, _limiter, _logger, (tenant, ct) => CallAsync(context, method, tenant, ct));
    }

    private async Task CallAsync(HttpContext context, string name, string tenant, CancellationToken cancellationToken)
    {
        if (!Methods.TryGetValue(name, out var method))
        {
            throw new ApiException(StatusCodes.Status404NotFound, "unimplemented", $"unknown procedure {ServicePath}/{name}");
        }

        if (!HttpMethods.IsPost(context.Request.Method))
        {
            throw new ApiException(
                StatusCodes.Status405MethodNotAllowed, "unimplemented", $"{ServicePath}/{name} takes POST (Connect unary), not {context.Request.Method}");
        }

        var codec = ConnectCodec.Choose(context.Request.ContentType, out var mediaType);
        var body = await ConnectCodec.ReadBodyAsync(context.Request, _options.MaxRequestBodyBytes, cancellationToken);
        var request = ConnectCodec.Parse(method.Request, codec, body);
        var response = await method.Invoke(_service, request, tenant, cancellationToken);
        var contentType = codec == ConnectCodecKind.Json ? "application/json" : mediaType;
        await ConnectCodec.WriteAsync(context, contentType, ConnectCodec.Serialize(response, codec), cancellationToken);
    }

    private static ConnectMethod Method<TRequest, TResponse>(
        string name, MessageDescriptor descriptor, Func<QuerierService, TRequest, string, CancellationToken, Task<TResponse>> invoke)
        where TRequest : IMessage
        where TResponse : IMessage =>
        new(name, descriptor, async (service, request, tenant, ct) => await invoke(service, (TRequest)request, tenant, ct));

    private sealed record ConnectMethod(
        string Name, MessageDescriptor Request, Func<QuerierService, IMessage, string, CancellationToken, Task<IMessage>> Invoke);
}
