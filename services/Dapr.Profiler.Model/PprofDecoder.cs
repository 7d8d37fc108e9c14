using Dapr.Profiler.Protos.Pprof;
using Google.Protobuf;

namespace Dapr.Profiler.Model;

/// <summary>
/// Decodes pprof bytes (gzip or raw) into a validated <see cref="Profile"/>.
/// </summary>
/// <remarks>
/// The result is normalised for the rest of the code base: the string table starts with "", and mapping,
/// location and function ids are dense, so <c>profile.Location[i].Id == i + 1</c> (likewise for mappings
/// and functions) and every reference resolves by index. Producers that use sparse ids are renumbered.
/// </remarks>
public static class PprofDecoder
{
    /// <exception cref="ProfileException">The data is not a valid profile or exceeds a limit.</exception>
    public static Profile Decode(ReadOnlyMemory<byte> data, PprofDecoderOptions? options = null)
    {
        options ??= PprofDecoderOptions.Default;
        ReadOnlyMemory<byte> raw = data;
        if (Gzip.IsGzip(data.Span))
        {
            raw = Gzip.Decompress(data, options.MaxDecompressedBytes);
        }
        else if (data.Length > options.MaxDecompressedBytes)
        {
            throw new ProfileTooLargeException(
                nameof(PprofDecoderOptions.MaxDecompressedBytes),
                options.MaxDecompressedBytes,
                $"profile of {data.Length} bytes exceeds the limit of {options.MaxDecompressedBytes} bytes ({nameof(PprofDecoderOptions.MaxDecompressedBytes)})");
        }

        var profile = ParseRaw(raw.Span);
        ProfileValidator.ValidateAndNormalize(profile);
        return profile;
    }

    /// <summary>Parses uncompressed protobuf bytes without validation.</summary>
    /// <exception cref="MalformedProfileException">The bytes are not a protobuf Profile message.</exception>
    public static Profile ParseRaw(ReadOnlySpan<byte> raw)
    {
        try
        {
            return Profile.Parser.ParseFrom(raw);
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new MalformedProfileException($"invalid pprof protobuf: {ex.Message}", ex);
        }
        catch (Exception ex) when (ex is IndexOutOfRangeException or ArgumentOutOfRangeException or OverflowException)
        {
            // Google.Protobuf's span parser can index past the end on a length prefix near 2^31 instead of
            // reporting truncation; it is the same malformed input.
            throw new MalformedProfileException("invalid pprof protobuf: a length prefix runs past the end of the data", ex);
        }
    }
}
