using System.Collections.Concurrent;
using System.IO.Compression;
using Dapr.Profiler.Protos.Push;
using Dapr.Profiler.Protos.Types;
using Google.Protobuf;

namespace Dapr.Profiler.Cli.Chaos;

/// <summary>
/// Small gzip bodies that expand past the server's decompressed-size limit (16 MiB by default): as a pprof body, as
/// a request <c>Content-Encoding</c>, inside a multipart part, inside a push.v1 sample, and gzip within gzip.
/// </summary>
internal static class GzipBombs
{
    private static readonly long[] Sizes = [17L << 20, 32L << 20, 64L << 20];
    private static readonly ConcurrentDictionary<long, Lazy<byte[]>> Cache = new();

    public static ChaosRequest Generate(ChaosContext context)
    {
        var size = context.Pick(Sizes);
        var bomb = Bomb(size);
        var what = $"{bomb.Length} bytes expanding to {size >> 20} MiB";
        switch (context.Random.Next(5))
        {
            case 0:
                return context.Post(context.IngestPath(), "application/octet-stream", bomb, "gzip pprof body, " + what);
            case 1:
                return context.Post(context.IngestPath(), "application/octet-stream", bomb, "Content-Encoding: gzip, " + what, contentEncoding: "gzip");
            case 2:
                var (contentType, body) = MultipartAbuse.Build("chaosboundary", [("profile", "profile.pprof", bomb)]);
                return context.Post(context.IngestPath().Replace("&format=pprof", string.Empty, StringComparison.Ordinal), contentType, body, "multipart profile part, " + what);
            case 3:
                var push = new PushRequest();
                var series = new RawProfileSeries();
                series.Labels.Add(new LabelPair { Name = "service_name", Value = context.Service() });
                series.Labels.Add(new LabelPair { Name = "__name__", Value = "process_cpu" });
                series.Samples.Add(new RawSample { RawProfile = ByteString.CopyFrom(bomb) });
                push.Series.Add(series);
                return context.Post("/push.v1.PusherService/Push", "application/proto", push.ToByteArray(), "push.v1 raw_profile, " + what);
            default:
                return context.Post(context.IngestPath(), "application/octet-stream", ChaosContext.Gzip(bomb), "gzip within gzip (Content-Encoding), " + what, contentEncoding: "gzip");
        }
    }

    /// <summary>Gzipped zeros; the same size always gives the same bytes, so they are made once per process.</summary>
    internal static byte[] Bomb(long size) => Cache.GetOrAdd(size, s => new Lazy<byte[]>(() =>
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Optimal, leaveOpen: true))
        {
            var zeros = new byte[1 << 20];
            for (var written = 0L; written < s; written += zeros.Length)
            {
                gzip.Write(zeros);
            }
        }

        return buffer.ToArray();
    })).Value;
}
