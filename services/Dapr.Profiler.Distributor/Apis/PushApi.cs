using System.Text;
using Google.Protobuf;
using Dapr.Profiler.ServiceDefaults;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PushRequest = Dapr.Profiler.Protos.Push.PushRequest;

namespace Dapr.Profiler.Distributor;

/// <summary>
/// <c>POST /push.v1.PusherService/Push</c> as a Connect unary call: <c>application/proto</c> (also
/// <c>application/x-protobuf</c>, <c>application/protobuf</c>) or protojson <c>application/json</c>, optionally with
/// <c>Content-Encoding: gzip</c>; no Connect headers are required. Answers 200 with an empty message in the
/// request's codec once every profile is durable, or a Connect error (<c>{"code","message"}</c>, JSON).
/// gRPC and gRPC-Web (HTTP/2 framing) are not spoken here and get 415.
/// </summary>
public sealed class PushApi
{
    /// <summary>The route, as Connect names it.</summary>
    public const string Route = "/push.v1.PusherService/Push";

    private static readonly JsonParser Json = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(true));

    private readonly IngestPipeline _pipeline;
    private readonly IngestRateLimiter _limiter;
    private readonly ILogger<PushApi> _logger;
    private readonly DistributorOptions _options;

    public PushApi(IngestPipeline pipeline, IngestRateLimiter limiter, IOptions<DistributorOptions> options, ILogger<PushApi> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _pipeline = pipeline;
        _limiter = limiter;
        _logger = logger;
        _options = options.Value;
    }

    private enum Codec
    {
        Proto,
        Json,
    }

    public Task HandleAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return ApiErrors.RunAsync(context, ApiFlavor.Connect, _logger, _options, scope => PushAsync(context, scope));
    }

    private async Task PushAsync(HttpContext context, ApiErrors.Scope scope)
    {
        using var admitted = _pipeline.Admit();
        var request = context.Request;
        var cancellationToken = context.RequestAborted;
        var tenant = TenantId.Resolve(
            request.Headers[TenantId.HeaderName], _options.MultitenancyEnabled, DistributorOptions.Key(nameof(DistributorOptions.MultitenancyEnabled)));
        scope.Tenant = tenant;
        var codec = ChooseCodec(request.ContentType);

        var body = await RequestBody.ReadAsync(request, _options.MaxRequestBodyBytes, cancellationToken);
        _limiter.Acquire(tenant, body.Length);
        var push = await _pipeline.ExpandAsync(
            () =>
            {
                var decoded = RequestBody.Decode(request, body, _options.MaxRequestBodyBytes);
                return codec == Codec.Json ? ParseJson(decoded) : ParseProto(decoded);
            },
            cancellationToken);

        // The turn is given back before the profiles are decoded one by one (each in a turn of its own).
        await _pipeline.PushAsync(push, tenant, cancellationToken);

        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        if (codec == Codec.Json)
        {
            response.ContentType = "application/json";
            response.ContentLength = 2;
            await response.Body.WriteAsync("{}"u8.ToArray(), cancellationToken);
        }
        else
        {
            // PushResponse has no fields: its encoding is empty.
            response.ContentType = "application/proto";
            response.ContentLength = 0;
        }
    }

    /// <exception cref="IngestRejectedException">A Content-Type other than Connect unary proto or JSON.</exception>
    private static Codec ChooseCodec(string? contentType)
    {
        var mediaType = (contentType ?? string.Empty).Split(';', 2)[0].Trim().ToLowerInvariant();
        return mediaType switch
        {
            "application/proto" or "application/x-protobuf" or "application/protobuf" => Codec.Proto,
            "application/json" => Codec.Json,
            _ => throw new IngestRejectedException(
                RejectionReason.UnsupportedMediaType,
                $"Content-Type '{mediaType}' is not supported on {Route}; use Connect unary with application/proto or application/json"),
        };
    }

    private static PushRequest ParseProto(ReadOnlyMemory<byte> body)
    {
        try
        {
            return PushRequest.Parser.ParseFrom(body.Span);
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw InvalidBody("protobuf", ex);
        }
        catch (Exception ex) when (ex is IndexOutOfRangeException or ArgumentOutOfRangeException or OverflowException)
        {
            // The span parser can index past the end on a huge length prefix instead of reporting truncation.
            throw InvalidBody("protobuf", ex);
        }
    }

    private static PushRequest ParseJson(ReadOnlyMemory<byte> body)
    {
        try
        {
            return Json.Parse<PushRequest>(Encoding.UTF8.GetString(body.Span));
        }
        catch (Exception ex) when (ex is InvalidProtocolBufferException or InvalidJsonException or FormatException)
        {
            throw InvalidBody("JSON", ex);
        }
    }

    private static IngestRejectedException InvalidBody(string codec, Exception inner) =>
        new(RejectionReason.InvalidArgument, $"invalid {codec} PushRequest: {inner.Message}", inner);
}
