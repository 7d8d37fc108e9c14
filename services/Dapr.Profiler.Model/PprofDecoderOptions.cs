using System.ComponentModel.DataAnnotations;

namespace Dapr.Profiler.Model;

/// <summary>Limits applied while decoding a pprof profile.</summary>
public sealed class PprofDecoderOptions
{
    public static PprofDecoderOptions Default { get; } = new();

    /// <summary>
    /// The largest decompressed profile accepted, in bytes (default 64 MiB). Decompression stops as soon as
    /// the output passes it, so a gzip bomb costs at most this much memory. Raising it lets bigger profiles
    /// in at the price of memory per concurrent request.
    /// </summary>
    [Range(1024, int.MaxValue)]
    public long MaxDecompressedBytes { get; init; } = 64L * 1024 * 1024;
}
