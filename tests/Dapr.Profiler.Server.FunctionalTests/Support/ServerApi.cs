using System.Globalization;
using System.Net.Http.Headers;
using Dapr.Profiler.Mesh;
using Dapr.Profiler.Protos.Metastore;
using Dapr.Profiler.Server.FunctionalTests.Hosting;
using Google.Protobuf;

namespace Dapr.Profiler.Server.FunctionalTests.Support;

/// <summary>Calls a running server: ingest requests, the metastore's internal methods and <c>/metrics</c>.</summary>
public static class ServerApi
{
    /// <summary>Everything from 1970 to 2100, in Unix ms: the corpus profiles are stamped in late 2026.</summary>
    public static readonly long AllTimeEndMs = new DateTimeOffset(2100, 1, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();

    public static async Task<Answer> SendAsync(this IProfilerServer server, HttpRequestMessage request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(request);
        using (request)
        {
            using var response = await server.Client.SendAsync(request, cancellationToken);
            return await Answer.ReadAsync(response, cancellationToken);
        }
    }

    /// <summary>Sends and asserts the answer every Pyroscope client expects on success: 200.</summary>
    public static async Task<Answer> SendOkAsync(this IProfilerServer server, HttpRequestMessage request, CancellationToken cancellationToken = default)
    {
        var answer = await server.SendAsync(request, cancellationToken);
        Assert.True(answer.StatusCode == 200, $"expected 200, got {answer}");
        return answer;
    }

    public static Task<QueryMetadataResponse> QueryMetadataAsync(this IProfilerServer server, string tenant, string query = "{}") =>
        server.QueryMetadataAsync([tenant], query);

    public static Task<QueryMetadataResponse> QueryMetadataAsync(this IProfilerServer server, IReadOnlyList<string> tenants, string query = "{}")
    {
        var request = new QueryMetadataRequest { StartTime = 0, EndTime = AllTimeEndMs, Query = query };
        request.TenantId.Add(tenants);
        return server.InvokeAsync(DaprNames.Methods.MetastoreQueryMetadata, request, QueryMetadataResponse.Parser);
    }

    public static async Task<IReadOnlyList<string>> ProfileTypesAsync(this IProfilerServer server, string tenant, params string[] matchers)
    {
        var response = await server.InvokeAsync(DaprNames.Methods.MetastoreProfileTypes, MetadataQuery(tenant, matchers), ProfileTypesResponse.Parser);
        return response.ProfileTypes.Select(t => t.ID).Order(StringComparer.Ordinal).ToArray();
    }

    public static async Task<IReadOnlyList<string>> LabelValuesAsync(this IProfilerServer server, string tenant, string name, params string[] matchers)
    {
        var response = await server.InvokeAsync(
            DaprNames.Methods.MetastoreLabelValues,
            new LabelValuesRequest { Name = name, Query = MetadataQuery(tenant, matchers) },
            LabelValuesResponse.Parser);
        return response.Names.Order(StringComparer.Ordinal).ToArray();
    }

    /// <summary>An internal service method, <c>POST /{service}/{method}</c> with a protobuf body.</summary>
    public static async Task<TResponse> InvokeAsync<TResponse>(this IProfilerServer server, string method, IMessage request, MessageParser<TResponse> parser)
        where TResponse : IMessage<TResponse>
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(parser);
        using var content = new ByteArrayContent(request.ToByteArray());
        content.Headers.ContentType = new MediaTypeHeaderValue(ServiceMethodEndpoints.ProtobufContentType);
        using var response = await server.Client.PostAsync(new Uri(method, UriKind.Relative), content);
        var answer = await Answer.ReadAsync(response);
        Assert.True(answer.StatusCode == 200, $"{method} failed: {answer}");
        return parser.ParseFrom(answer.Body);
    }

    /// <summary>The samples of <c>GET /metrics</c> (Prometheus text), by metric name with its labels.</summary>
    public static async Task<IReadOnlyDictionary<string, long>> MetricsAsync(this IProfilerServer server)
    {
        ArgumentNullException.ThrowIfNull(server);
        using var response = await server.Client.GetAsync(new Uri("metrics", UriKind.Relative));
        Assert.Equal(200, (int)response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        var result = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (line.StartsWith('#'))
            {
                continue;
            }

            var space = line.LastIndexOf(' ');
            // Counters and gauges are integers; summaries (seconds) are rounded down.
            result[line[..space]] = (long)double.Parse(line[(space + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture);
        }

        return result;
    }

    private static MetadataQueryRequest MetadataQuery(string tenant, string[] matchers)
    {
        var query = new MetadataQueryRequest { StartTime = 0, EndTime = AllTimeEndMs };
        query.TenantId.Add(tenant);
        query.Matchers.Add(matchers);
        return query;
    }
}
