using System.Runtime.InteropServices;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace Dapr.Profiler.Distributor;

/// <summary>
/// The parts of a multipart <c>/ingest</c> upload (pyroscope-go, @pyroscope/nodejs ≤ 0.6.1): <c>profile</c>,
/// optionally <c>sample_type_config</c>, and the obsolete <c>prev_profile</c>, which is refused.
/// </summary>
internal sealed record MultipartProfile(ReadOnlyMemory<byte> Profile, ReadOnlyMemory<byte>? SampleTypeConfig)
{
    public const string ProfilePart = "profile";
    public const string PreviousProfilePart = "prev_profile";
    public const string SampleTypeConfigPart = "sample_type_config";

    /// <summary>The longest multipart boundary RFC 2046 allows.</summary>
    public const int MaxBoundaryLength = 70;

    /// <summary>Parses an already bounded body with the boundary of its Content-Type.</summary>
    /// <exception cref="IngestRejectedException">No boundary, broken multipart, no profile part, or a prev_profile part.</exception>
    public static async Task<MultipartProfile> ParseAsync(string contentType, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        if (!MediaTypeHeaderValue.TryParse(contentType, out var mediaType)
            || HeaderUtilities.RemoveQuotes(mediaType.Boundary).Value is not { Length: > 0 } boundary)
        {
            throw Invalid("multipart/form-data request without a boundary");
        }

        if (boundary.Length > MaxBoundaryLength)
        {
            // ASP.NET's reader needs a buffer larger than the boundary and would fail with a 500 on a huge one.
            throw Invalid($"multipart boundary of {boundary.Length} characters is longer than the {MaxBoundaryLength} that RFC 2046 allows");
        }

        ReadOnlyMemory<byte>? profile = null;
        ReadOnlyMemory<byte>? config = null;
        using var stream = MemoryMarshal.TryGetArray(body, out var segment)
            ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(body.ToArray(), writable: false);
        var reader = new MultipartReader(boundary, stream);
        try
        {
            while (await reader.ReadNextSectionAsync(cancellationToken) is { } section)
            {
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition))
                {
                    continue;
                }

                var name = HeaderUtilities.RemoveQuotes(disposition.Name).Value;
                using var part = new MemoryStream();
                await section.Body.CopyToAsync(part, cancellationToken);
                var bytes = part.ToArray();
                switch (name)
                {
                    case ProfilePart:
                        profile = bytes;
                        break;
                    case SampleTypeConfigPart:
                        config = bytes;
                        break;
                    case PreviousProfilePart when bytes.Length > 0:
                        throw Invalid(
                            "unsupported client version: the multipart field \"prev_profile\" is obsolete and no longer accepted; upgrade the Pyroscope client");
                    default:
                        break;
                }
            }
        }
        catch (IOException ex)
        {
            throw new IngestRejectedException(RejectionReason.InvalidArgument, $"invalid multipart body: {ex.Message}", ex);
        }
        catch (InvalidDataException ex)
        {
            throw new IngestRejectedException(RejectionReason.InvalidArgument, $"invalid multipart body: {ex.Message}", ex);
        }

        if (profile is not { Length: > 0 } found)
        {
            throw Invalid("multipart body has no \"profile\" part (or it is empty)");
        }

        return new MultipartProfile(found, config);
    }

    private static IngestRejectedException Invalid(string message) => new(RejectionReason.InvalidArgument, message);
}
