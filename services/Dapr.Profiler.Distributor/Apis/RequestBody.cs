using Dapr.Profiler.Model;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Dapr.Profiler.Distributor;

/// <summary>Reads request bodies within <see cref="DistributorOptions.MaxRequestBodyBytes"/> and undoes a gzip Content-Encoding.</summary>
internal static class RequestBody
{
    private const int InitialBufferBytes = 16 * 1024;

    private static readonly string LimitKey = DistributorOptions.Key(nameof(DistributorOptions.MaxRequestBodyBytes));

    public static string TooLargeMessage(long limit) => $"request body exceeds the limit of {limit} bytes ({LimitKey})";

    /// <summary>
    /// Reads the whole body, counting while reading: a declared Content-Length over the limit fails before
    /// anything is read, and a chunked body fails as soon as it passes the limit, so at most limit + 1 bytes are
    /// ever buffered.
    /// </summary>
    /// <exception cref="IngestRejectedException">The body is larger than <paramref name="limit"/>.</exception>
    public static async Task<ReadOnlyMemory<byte>> ReadAsync(HttpRequest request, long limit, CancellationToken cancellationToken)
    {
        // The server's own limit (Kestrel: 30 MB) would otherwise answer first, with a message naming no setting.
        var sizeFeature = request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (sizeFeature is { IsReadOnly: false })
        {
            sizeFeature.MaxRequestBodySize = null;
        }

        var declared = request.ContentLength;
        if (declared > limit)
        {
            throw TooLarge(limit);
        }

        if (declared == 0)
        {
            return ReadOnlyMemory<byte>.Empty;
        }

        var buffer = new byte[declared ?? Math.Min(InitialBufferBytes, limit + 1)];
        var length = 0;
        while (true)
        {
            if (length == buffer.Length)
            {
                if (declared is not null)
                {
                    // The server ends the body at Content-Length.
                    break;
                }

                Array.Resize(ref buffer, (int)Math.Min(buffer.Length * 2L, limit + 1));
            }

            var read = await request.Body.ReadAsync(buffer.AsMemory(length), cancellationToken);
            if (read == 0)
            {
                break;
            }

            length += read;
            if (length > limit)
            {
                throw TooLarge(limit);
            }
        }

        return buffer.AsMemory(0, length);
    }

    /// <summary>Undoes the request's Content-Encoding: none, <c>identity</c> or <c>gzip</c> (bounded by the same limit).</summary>
    /// <exception cref="IngestRejectedException">Another encoding, corrupt gzip, or a decompressed body over the limit.</exception>
    public static ReadOnlyMemory<byte> Decode(HttpRequest request, ReadOnlyMemory<byte> body, long limit)
    {
        var encoding = request.Headers.ContentEncoding.ToString().Trim();
        if (encoding.Length == 0 || encoding.Equals("identity", StringComparison.OrdinalIgnoreCase))
        {
            return body;
        }

        if (!encoding.Equals("gzip", StringComparison.OrdinalIgnoreCase) && !encoding.Equals("x-gzip", StringComparison.OrdinalIgnoreCase))
        {
            throw new IngestRejectedException(
                RejectionReason.UnsupportedMediaType, $"Content-Encoding '{encoding}' is not supported; send the body uncompressed or gzip-compressed");
        }

        try
        {
            return Gzip.Decompress(body, limit, LimitKey);
        }
        catch (ProfileTooLargeException ex)
        {
            throw new IngestRejectedException(
                RejectionReason.TooLarge, $"decompressed request body exceeds the limit of {limit} bytes ({LimitKey})", ex, LimitKey);
        }
        catch (MalformedProfileException ex)
        {
            throw new IngestRejectedException(RejectionReason.InvalidArgument, $"Content-Encoding gzip: {ex.Message}", ex);
        }
    }

    private static IngestRejectedException TooLarge(long limit) => new(RejectionReason.TooLarge, TooLargeMessage(limit), LimitKey);
}
