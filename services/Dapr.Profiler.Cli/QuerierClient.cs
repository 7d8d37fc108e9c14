using System.Net.Http.Headers;
using System.Text;
using Google.Protobuf;

namespace Dapr.Profiler.Cli;

/// <summary>A Connect unary client of Pyroscope's <c>querier.v1.QuerierService</c>, over protojson.</summary>
internal sealed class QuerierClient(HttpClient http, string? tenant) : IDisposable
{
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(true));

    public async Task<TResponse> CallAsync<TRequest, TResponse>(string method, TRequest request, CancellationToken cancellationToken)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse>, new()
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, $"querier.v1.QuerierService/{method}")
        {
            Content = new StringContent(JsonFormatter.Default.Format(request), Encoding.UTF8, "application/json"),
        };
        message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        if (!string.IsNullOrEmpty(tenant))
        {
            message.Headers.Add("X-Scope-OrgID", tenant);
        }

        using var response = await http.SendAsync(message, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new IOException($"{method} failed with HTTP {(int)response.StatusCode}: {body.Trim()}");
        }

        return Parser.Parse<TResponse>(body);
    }

    public void Dispose() => http.Dispose();
}
