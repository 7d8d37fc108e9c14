using System.Globalization;
using Dapr.Profiler.Model;
using Dapr.Profiler.Protos.Pprof;
using Dapr.Profiler.ServiceDefaults;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using LabelPair = Dapr.Profiler.Model.LabelPair;

namespace Dapr.Profiler.Distributor;

/// <summary>
/// Pyroscope's legacy <c>POST /ingest</c> (alias <c>/pyroscope/ingest</c>): metadata in the query string, the
/// profile in the body as raw pprof, multipart pprof, folded or lines text. Answers 200 with an empty body once
/// the profile is durable; errors are <c>{"code","message"}</c> JSON (400, 401, 413, 429, 503, 500).
/// </summary>
/// <remarks>
/// The body form is chosen by the Content-Type first, then <c>format</c>: the unsupported legacy formats
/// (trie, tree, jfr, speedscope) are refused; a <c>multipart/form-data</c> body is multipart pprof whatever
/// <c>format</c> says (Pyroscope would read <c>format=pprof</c> + multipart as raw); <c>format=pprof</c> is raw
/// pprof; <c>lines</c> is lines; anything else is folded, except that a gzip body without <c>format</c> is taken
/// for raw pprof (folded text never starts with the gzip magic).
/// </remarks>
public sealed class IngestApi
{
    private const long DefaultSampleRate = 100;
    private const string DefaultSpyName = "unknown";

    private readonly IngestPipeline _pipeline;
    private readonly IngestRateLimiter _limiter;
    private readonly TimeProvider _time;
    private readonly ILogger<IngestApi> _logger;
    private readonly DistributorOptions _options;

    public IngestApi(IngestPipeline pipeline, IngestRateLimiter limiter, TimeProvider time, IOptions<DistributorOptions> options, ILogger<IngestApi> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _pipeline = pipeline;
        _limiter = limiter;
        _time = time;
        _logger = logger;
        _options = options.Value;
    }

    private enum BodyForm
    {
        RawPprof,
        MultipartPprof,
        Folded,
        Lines,
    }

    public Task HandleAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return ApiErrors.RunAsync(context, ApiFlavor.Ingest, _logger, _options, scope => IngestAsync(context, scope));
    }

    private async Task IngestAsync(HttpContext context, ApiErrors.Scope scope)
    {
        using var admitted = _pipeline.Admit();
        var request = context.Request;
        var cancellationToken = context.RequestAborted;
        var tenant = TenantId.Resolve(
            request.Headers[TenantId.HeaderName], _options.MultitenancyEnabled, DistributorOptions.Key(nameof(DistributorOptions.MultitenancyEnabled)));
        scope.Tenant = tenant;

        var query = request.Query;
        var format = query["format"].ToString().Trim().ToLowerInvariant();
        var contentType = request.ContentType ?? string.Empty;
        var form = ChooseForm(format, contentType);
        var name = IngestName.Parse(query["name"]);
        var spyName = query["spyName"].ToString() is { Length: > 0 } spy ? spy : DefaultSpyName;
        var sampleRate = ParseSampleRate(query["sampleRate"]);
        var now = _time.GetUtcNow();
        var fromNanos = (AtTime.Parse(query["from"], now) - DateTimeOffset.UnixEpoch).Ticks * 100;

        // units, aggregationType and until are accepted and, as in Pyroscope, have no effect on what is stored.
        var body = await RequestBody.ReadAsync(request, _options.MaxRequestBodyBytes, cancellationToken);
        _limiter.Acquire(tenant, body.Length);
        var (profile, labels) = await _pipeline.ExpandAsync(
            () => DecodeAsync(request, body, form, format, contentType, name, spyName, sampleRate, fromNanos, cancellationToken),
            cancellationToken);
        await _pipeline.IngestAsync(tenant, profile, labels, fromNanos, ReadOnlyMemory<byte>.Empty, cancellationToken);
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentLength = 0;
    }

    /// <summary>Decompresses the body and decodes its profile: the part of a push that expands it in memory.</summary>
    private async Task<(Profile Profile, List<LabelPair> Labels)> DecodeAsync(
        HttpRequest request,
        ReadOnlyMemory<byte> body,
        BodyForm form,
        string format,
        string contentType,
        IngestName name,
        string spyName,
        long sampleRate,
        long fromNanos,
        CancellationToken cancellationToken)
    {
        body = RequestBody.Decode(request, body, _options.MaxRequestBodyBytes);
        if (form == BodyForm.Folded && format.Length == 0 && Gzip.IsGzip(body.Span))
        {
            form = BodyForm.RawPprof;
        }

        Profile profile;
        List<LabelPair> labels;
        switch (form)
        {
            case BodyForm.MultipartPprof:
                var parts = await MultipartProfile.ParseAsync(contentType, body, cancellationToken);
                var config = parts.SampleTypeConfig is { } json ? SampleTypeConfig.Parse(json.Span) : null;
                profile = _pipeline.Decode(parts.Profile);
                labels = IngestLabels.ForPprof(profile, name, spyName, config);
                break;
            case BodyForm.RawPprof:
                profile = _pipeline.Decode(body);
                labels = IngestLabels.ForPprof(profile, name, spyName, null);
                break;
            default:
                var (app, type) = TextProfileType.FromAppName(name.AppName);
                var textFormat = form == BodyForm.Lines ? TextProfileFormat.Lines : TextProfileFormat.Folded;
                profile = TextProfileParser.Parse(body.Span, textFormat, type, sampleRate, fromNanos);
                labels = IngestLabels.ForText(type.MetricName, app, name, spyName);
                break;
        }

        return (profile, labels);
    }

    /// <exception cref="IngestRejectedException">A legacy format this server does not support.</exception>
    private static BodyForm ChooseForm(string format, string contentType)
    {
        var mediaType = contentType.Split(';', 2)[0].Trim().ToLowerInvariant();
        if (mediaType is "binary/octet-stream+trie" or "binary/octet-stream+tree")
        {
            throw Unsupported($"Content-Type '{mediaType}' (the legacy {mediaType[(mediaType.IndexOf('+', StringComparison.Ordinal) + 1)..]} format)");
        }

        if (format is "trie" or "tree" or "jfr" or "speedscope")
        {
            throw Unsupported($"format '{format}'");
        }

        if (mediaType == "multipart/form-data")
        {
            return BodyForm.MultipartPprof;
        }

        return format switch
        {
            "pprof" => BodyForm.RawPprof,
            "lines" => BodyForm.Lines,
            _ => BodyForm.Folded,
        };
    }

    private static IngestRejectedException Unsupported(string what) => new(
        RejectionReason.InvalidArgument,
        $"{what} is not supported by this server; send pprof (format=pprof or multipart/form-data), folded (the default) or lines");

    /// <summary>Pyroscope's rule: an invalid, zero or negative sample rate means the default, 100 Hz.</summary>
    private static long ParseSampleRate(string? text) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var rate) && rate > 0 ? rate : DefaultSampleRate;
}
