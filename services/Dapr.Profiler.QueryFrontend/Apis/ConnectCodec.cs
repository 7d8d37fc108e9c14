using System.IO.Compression;
using System.Text;
using Dapr.Profiler.Mesh;
using Dapr.Profiler.Model;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Dapr.Profiler.QueryFrontend;

/// <summary>The two Connect codecs: binary protobuf and protojson.</summary>
internal enum ConnectCodecKind
{
    Proto,
    Json,
}

/// <summary>
/// Connect unary message handling: choosing the codec from the Content-Type, reading a bounded body, undoing a gzip
/// <c>Content-Encoding</c>, parsing and serialising, and gzip responses for clients that accept them.
/// </summary>
internal static class ConnectCodec
{
    /// <summary>protojson input: unknown fields are skipped; int64 as string or number, enums as name or number.</summary>
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(true));

    /// <exception cref="ApiException">415 for a Content-Type other than proto or JSON.</exception>
    public static ConnectCodecKind Choose(string? contentType, out string mediaType)
    {
        mediaType = (contentType ?? string.Empty).Split(';', 2)[0].Trim().ToLowerInvariant();
        return mediaType switch
        {
            "application/proto" or "application/x-protobuf" or "application/protobuf" => ConnectCodecKind.Proto,
            "application/json" => ConnectCodecKind.Json,
            _ => throw new ApiException(
                StatusCodes.Status415UnsupportedMediaType,
                "unimplemented",
                $"Content-Type '{mediaType}' is not supported; use Connect unary with application/proto or application/json"),
        };
    }

    /// <summary>Reads the whole body, never buffering more than <paramref name="limit"/> + 1 bytes, and undoes gzip.</summary>
    /// <exception cref="ServiceException">resource_exhausted (too large), unimplemented (encoding) or invalid_argument (corrupt gzip).</exception>
    public static async Task<byte[]> ReadBodyAsync(HttpRequest request, long limit, CancellationToken cancellationToken)
    {
        var sizeFeature = request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (sizeFeature is { IsReadOnly: false })
        {
            sizeFeature.MaxRequestBodySize = null;
        }

        if (request.ContentLength > limit)
        {
            throw TooLarge(limit);
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > limit)
            {
                throw TooLarge(limit);
            }
        }

        var body = buffer.ToArray();
        var encoding = request.Headers.ContentEncoding.ToString().Trim();
        if (encoding.Length == 0 || encoding.Equals("identity", StringComparison.OrdinalIgnoreCase))
        {
            return body;
        }

        if (!encoding.Equals("gzip", StringComparison.OrdinalIgnoreCase))
        {
            throw new ServiceException(ServiceStatus.Unimplemented, $"Content-Encoding '{encoding}' is not supported; send the body uncompressed or gzip-compressed");
        }

        try
        {
            return Gzip.Decompress(body, limit, QueryFrontendOptions.Key(nameof(QueryFrontendOptions.MaxRequestBodyBytes)));
        }
        catch (ProfileTooLargeException)
        {
            throw TooLarge(limit);
        }
        catch (MalformedProfileException ex)
        {
            throw new ServiceException(ServiceStatus.InvalidArgument, $"Content-Encoding gzip: {ex.Message}", ex);
        }
    }

    /// <exception cref="ServiceException">invalid_argument: the body is not a valid message.</exception>
    public static IMessage Parse(MessageDescriptor descriptor, ConnectCodecKind codec, byte[] body)
    {
        try
        {
            if (codec == ConnectCodecKind.Proto)
            {
                return descriptor.Parser.ParseFrom(body);
            }

            var text = Encoding.UTF8.GetString(body);
            return Parser.Parse(string.IsNullOrWhiteSpace(text) ? "{}" : text, descriptor);
        }
        catch (Exception ex) when (ex is InvalidProtocolBufferException or InvalidJsonException or FormatException
            or IndexOutOfRangeException or ArgumentOutOfRangeException or OverflowException)
        {
            // The span parser can index past the end on a huge length prefix instead of reporting truncation.
            var what = codec == ConnectCodecKind.Proto ? "protobuf" : "JSON";
            throw new ServiceException(ServiceStatus.InvalidArgument, $"invalid {what} {descriptor.Name}: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// Binary protobuf, or protojson with the default settings (camelCase names, int64 as strings, enums as names,
    /// zero values omitted) written compactly, as Go's protojson writes it.
    /// </summary>
    public static byte[] Serialize(IMessage message, ConnectCodecKind codec) =>
        codec == ConnectCodecKind.Proto ? message.ToByteArray() : Encoding.UTF8.GetBytes(Compact(JsonFormatter.Default.Format(message)));

    /// <summary>Removes the spaces Google.Protobuf's formatter puts between tokens; string contents are kept as written.</summary>
    internal static string Compact(string json)
    {
        var result = new StringBuilder(json.Length);
        var inString = false;
        var escaped = false;
        foreach (var c in json)
        {
            if (inString)
            {
                result.Append(c);
                if (escaped)
                {
                    escaped = false;
                }
                else if (c == '\\')
                {
                    escaped = true;
                }
                else if (c == '"')
                {
                    inString = false;
                }
            }
            else if (!char.IsWhiteSpace(c))
            {
                inString = c == '"';
                result.Append(c);
            }
        }

        return result.ToString();
    }

    /// <summary>Whether <c>Accept-Encoding</c> lists gzip (with a non-zero quality).</summary>
    public static bool AcceptsGzip(HttpRequest request)
    {
        foreach (var value in request.Headers.AcceptEncoding)
        {
            foreach (var item in (value ?? string.Empty).Split(','))
            {
                var parts = item.Split(';');
                if (parts[0].Trim().Equals("gzip", StringComparison.OrdinalIgnoreCase)
                    && !parts.Skip(1).Any(p => p.Trim().Replace(" ", string.Empty, StringComparison.Ordinal) is "q=0" or "q=0.0" or "q=0.00" or "q=0.000"))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>Writes a 200 answer, gzip-compressed when the client accepts it.</summary>
    public static async Task WriteAsync(HttpContext context, string contentType, byte[] body, CancellationToken cancellationToken)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = contentType;
        response.Headers.Vary = "Accept-Encoding";
        if (AcceptsGzip(context.Request))
        {
            using var compressed = new MemoryStream();
            await using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
            {
                await gzip.WriteAsync(body, cancellationToken);
            }

            body = compressed.ToArray();
            response.Headers.ContentEncoding = "gzip";
        }

        response.ContentLength = body.Length;
        await response.Body.WriteAsync(body, cancellationToken);
    }

    private static ServiceException TooLarge(long limit) => new(
        ServiceStatus.ResourceExhausted,
        $"request body exceeds the limit of {limit} bytes ({QueryFrontendOptions.Key(nameof(QueryFrontendOptions.MaxRequestBodyBytes))})");
}
