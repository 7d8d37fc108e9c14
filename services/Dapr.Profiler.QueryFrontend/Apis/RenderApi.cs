using System.Globalization;
using System.Text;
using System.Text.Json;
using Dapr.Profiler.Model;
using Dapr.Profiler.Protos.Querier;
using Dapr.Profiler.Protos.Types;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Dapr.Profiler.QueryFrontend;

/// <summary>
/// Pyroscope's legacy render API, which the Profiles Drilldown app and the old UIs call:
/// <c>GET /pyroscope/render</c> (flamebearer JSON with a timeline, or DOT text), <c>GET /pyroscope/render-diff</c>
/// (a "double" flamebearer) and <c>GET /pyroscope/label-values</c> (a JSON array of strings). Bad parameters get
/// 400 with a Connect error body, like every other error.
/// </summary>
public sealed class RenderApi
{
    public const string RenderRoute = "/pyroscope/render";
    public const string RenderDiffRoute = "/pyroscope/render-diff";
    public const string LabelValuesRoute = "/pyroscope/label-values";

    private readonly QuerierService _service;
    private readonly QueryFrontendOptions _options;
    private readonly TenantQueryLimiter _limiter;
    private readonly ILogger<RenderApi> _logger;

    public RenderApi(QuerierService service, IOptions<QueryFrontendOptions> options, TenantQueryLimiter limiter, ILogger<RenderApi> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _service = service;
        _options = options.Value;
        _limiter = limiter;
        _logger = logger;
    }

    /// <summary><c>query</c>, <c>from</c>, <c>until</c>, <c>format</c> (json|dot), <c>maxNodes</c>/<c>max-nodes</c>, <c>groupBy</c>, <c>aggregation</c> (sum|avg).</summary>
    public Task RenderAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return ApiRunner.RunAsync(context, _options, _limiter, _logger, (tenant, ct) => RenderCoreAsync(context, tenant, ct));
    }

    /// <summary><c>leftQuery</c>, <c>leftFrom</c>, <c>leftUntil</c>, <c>rightQuery</c>, <c>rightFrom</c>, <c>rightUntil</c>, <c>max-nodes</c>.</summary>
    public Task RenderDiffAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return ApiRunner.RunAsync(context, _options, _limiter, _logger, (tenant, ct) => RenderDiffCoreAsync(context, tenant, ct));
    }

    /// <summary><c>label</c> (required; <c>__name__</c> lists the profile type ids), optional <c>from</c>/<c>until</c> (default: the last hour).</summary>
    public Task LabelValuesAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return ApiRunner.RunAsync(context, _options, _limiter, _logger, (tenant, ct) => LabelValuesCoreAsync(context, tenant, ct));
    }

    private async Task RenderCoreAsync(HttpContext context, string tenant, CancellationToken cancellationToken)
    {
        var query = context.Request.Query;
        var (select, type) = ParseSelect(query, "query", "from", "until", _service.Now);
        var groupBy = query["groupBy"].Where(g => !string.IsNullOrEmpty(g)).Take(1).Select(g => g!).ToList();
        TimeSeriesAggregationType? aggregation = query["aggregation"].ToString() switch
        {
            "sum" => TimeSeriesAggregationType.Sum,
            "avg" => TimeSeriesAggregationType.Average,
            _ => null,
        };

        if (query["format"].ToString() == "dot")
        {
            var dotRequest = new SelectMergeStacktracesRequest(select) { Format = ProfileFormat.Dot };
            if (select.MaxNodes == 0)
            {
                dotRequest.ClearMaxNodes();
            }

            var dot = (await _service.SelectMergeStacktracesAsync(dotRequest, tenant, cancellationToken)).Dot;
            await WriteAsync(context, "text/plain; charset=utf-8", Encoding.UTF8.GetBytes(dot), cancellationToken);
            return;
        }

        var step = Timeline.CalcPointInterval(select.Start, select.End);
        var seriesRequest = new SelectSeriesRequest
        {
            ProfileTypeID = select.ProfileTypeID,
            LabelSelector = select.LabelSelector,
            Start = select.Start,
            End = select.End,
            Step = step,
        };
        seriesRequest.GroupBy.AddRange(groupBy);
        if (aggregation is { } a)
        {
            seriesRequest.Aggregation = a;
        }

        var flame = _service.SelectMergeStacktracesAsync(select, tenant, cancellationToken);
        var series = _service.SelectSeriesAsync(seriesRequest, tenant, cancellationToken);
        await Task.WhenAll(flame, series);

        var all = (await series).Series;
        var stepSeconds = (long)step;
        var timeline = Timeline.Create(all.Count == 1 ? all[0] : null, select.Start, select.End, stepSeconds);
        Dictionary<string, Timeline>? groups = null;
        if (groupBy.Count > 0)
        {
            groups = new Dictionary<string, Timeline>(StringComparer.Ordinal);
            foreach (var s in all)
            {
                var key = s.Labels.FirstOrDefault(l => l.Name == groupBy[0])?.Value ?? "*";
                groups[key] = Timeline.Create(s, select.Start, select.End, stepSeconds);
            }
        }

        await WriteJsonAsync(context, Flamebearer.Single((await flame).Flamegraph, type, timeline, groups), cancellationToken);
    }

    private async Task RenderDiffCoreAsync(HttpContext context, string tenant, CancellationToken cancellationToken)
    {
        var query = context.Request.Query;
        var now = _service.Now;
        var (left, leftType) = ParseSelect(query, "leftQuery", "leftFrom", "leftUntil", now);
        var (right, rightType) = ParseSelect(query, "rightQuery", "rightFrom", "rightUntil", now);
        if (leftType.Id != rightType.Id)
        {
            throw QuerySelectors.Invalid($"profile types must match: left is {leftType.Id}, right is {rightType.Id}");
        }

        var diff = await _service.DiffAsync(new DiffRequest { Left = left, Right = right }, tenant, cancellationToken);
        await WriteJsonAsync(context, Flamebearer.Double(diff.Flamegraph, leftType), cancellationToken);
    }

    private async Task LabelValuesCoreAsync(HttpContext context, string tenant, CancellationToken cancellationToken)
    {
        var query = context.Request.Query;
        var label = query["label"].ToString();
        if (label.Length == 0)
        {
            throw QuerySelectors.Invalid("label parameter is required");
        }

        var now = _service.Now;
        var end = AtTime.Parse(query["until"], now).ToUnixTimeMilliseconds();
        var start = query["from"].ToString().Length > 0
            ? AtTime.Parse(query["from"], now).ToUnixTimeMilliseconds()
            : end - (long)QuerierService.DefaultMetadataRange.TotalMilliseconds;
        IEnumerable<string> values;
        if (label == LabelNames.MetricName)
        {
            var types = await _service.ProfileTypesAsync(new ProfileTypesRequest { Start = start, End = end }, tenant, cancellationToken);
            values = types.ProfileTypes.Select(t => t.ID);
        }
        else
        {
            var request = new LabelValuesRequest { Name = label, Start = start, End = end };
            values = (await _service.LabelValuesAsync(request, tenant, cancellationToken)).Names;
        }

        await WriteJsonAsync(context, JsonSerializer.SerializeToUtf8Bytes(values.ToArray(), RenderJson.Default.StringArray), cancellationToken);
    }

    /// <summary>
    /// Parses the <c>&lt;profileTypeID&gt;{matchers}</c> query and its time range as Pyroscope's
    /// <c>parseSelectProfilesRequest</c>. The profile type comes from the metric name (or a <c>__name__</c> matcher).
    /// </summary>
    private (SelectMergeStacktracesRequest Request, ProfileTypeId Type) ParseSelect(
        IQueryCollection query, string queryField, string fromField, string untilField, DateTimeOffset now)
    {
        var text = query[queryField].ToString();
        if (text.Length == 0)
        {
            throw QuerySelectors.Invalid($"\"{queryField}\" is required");
        }

        // The matchers are counted when the service parses the rewritten selector.
        SelectorLimits.CheckLength(text, _options);

        string prefix;
        LabelSelector selector;
        try
        {
            (prefix, selector) = LabelSelector.ParseWithPrefix(text);
        }
        catch (SelectorParseException ex)
        {
            throw QuerySelectors.Invalid($"failed to parse \"{queryField}\": {ex.Message}");
        }

        if (prefix.Length == 0 && selector.GetEqualValue(LabelNames.MetricName) is { Length: > 0 } name)
        {
            prefix = name;
        }

        selector = new LabelSelector(selector.Matchers.Where(m => m.Name != LabelNames.MetricName));
        if (prefix.Length == 0)
        {
            throw QuerySelectors.Invalid($"\"{queryField}\" must contain a profile-type selection");
        }

        if (!ProfileTypeId.TryParse(prefix, out var type, out var error))
        {
            throw QuerySelectors.Invalid($"failed to parse \"{queryField}\": {error}");
        }

        var request = new SelectMergeStacktracesRequest
        {
            ProfileTypeID = type.Id,
            LabelSelector = selector.ToString(),
            Start = AtTime.Parse(query[fromField], now).ToUnixTimeMilliseconds(),
            End = AtTime.Parse(query[untilField], now).ToUnixTimeMilliseconds(),
            MaxNodes = MaxNodes(query),
        };
        return (request, type);
    }

    /// <summary><c>max-nodes</c>, overridden by <c>maxNodes</c>; unparseable or 0 means the default.</summary>
    private static long MaxNodes(IQueryCollection query)
    {
        long maxNodes = 0;
        foreach (var key in new[] { "max-nodes", "maxNodes" })
        {
            if (long.TryParse(query[key], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) && n != 0)
            {
                maxNodes = n;
            }
        }

        return maxNodes;
    }

    private static Task WriteJsonAsync(HttpContext context, byte[] body, CancellationToken cancellationToken) =>
        WriteAsync(context, "application/json", body, cancellationToken);

    private static Task WriteAsync(HttpContext context, string contentType, byte[] body, CancellationToken cancellationToken) =>
        ConnectCodec.WriteAsync(context, contentType, body, cancellationToken);
}
