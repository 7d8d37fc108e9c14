using System.Text;
using Google.Protobuf;

namespace Dapr.Profiler.Cli.Chaos;

/// <summary>Broken multipart <c>/ingest</c> uploads: huge boundaries, missing and duplicate parts, bad sample_type_config.</summary>
internal static class MultipartAbuse
{
    public static ChaosRequest Generate(ChaosContext context)
    {
        var random = context.Random;
        var profile = ChaosContext.Gzip(context.Template().ToByteArray());
        var path = context.IngestPath().Replace("&format=pprof", string.Empty, StringComparison.Ordinal);
        var boundary = "chaos" + random.Next(1_000_000);
        (string Name, string? File, byte[] Data)[] parts;
        string description;
        switch (random.Next(12))
        {
            case 0:
                boundary = new string('b', 20_000);
                parts = [("profile", "profile.pprof", profile)];
                description = "boundary of 20,000 characters";
                break;
            case 1:
                boundary = new string('x', context.Pick(71, 200, 1_000));
                parts = [("profile", "profile.pprof", profile)];
                description = $"boundary of {boundary.Length} characters";
                break;
            case 2:
                parts = [("sample_type_config", "sample_type_config.json", ChaosContext.Utf8("{}"))];
                description = "no profile part";
                break;
            case 3:
                parts = [("profile", "profile.pprof", profile), ("profile", "profile.pprof", profile)];
                description = "duplicate profile parts";
                break;
            case 4:
                parts = [("profile", "profile.pprof", profile), ("prev_profile", "profile.pprof", profile)];
                description = "prev_profile part";
                break;
            case 5:
                parts = [("profile", "profile.pprof", profile), ("sample_type_config", "c.json", ChaosContext.Utf8(context.Pick("{", "[]", "null", "\"x\"", "{\"cpu\":5}", "{\"cpu\":{\"units\":7,\"aggregation\":[]}}", "{\"cpu\":{\"display-name\":null,\"cumulative\":\"yes\"}}")))];
                description = "bad sample_type_config";
                break;
            case 6:
                var huge = new StringBuilder("{");
                for (var i = 0; i < 20_000; i++)
                {
                    huge.Append(i == 0 ? string.Empty : ",").Append("\"t").Append(i).Append("\":{\"units\":\"bytes\",\"aggregation\":\"sum\"}");
                }

                parts = [("profile", "profile.pprof", profile), ("sample_type_config", "c.json", ChaosContext.Utf8(huge.Append('}').ToString()))];
                description = "sample_type_config with 20,000 entries";
                break;
            case 7:
                parts = [("profile", "profile.pprof", context.Bytes(1 + random.Next(4096)))];
                description = "random bytes as the profile part";
                break;
            case 8:
                parts = [("profile", "profile.pprof", []), ("sample_type_config", "c.json", [])];
                description = "empty parts";
                break;
            case 9:
                var (unterminatedType, unterminated) = Build(boundary, [("profile", "profile.pprof", profile)]);
                return context.Post(path, unterminatedType, unterminated[..^(boundary.Length + 6)], "no closing boundary");
            case 10:
                return context.Post(path, "multipart/form-data", Build(boundary, [("profile", "profile.pprof", profile)]).Body, "Content-Type without a boundary");
            default:
                var garbage = context.Bytes(random.Next(2048));
                return context.Post(path, $"multipart/form-data; boundary={boundary}", garbage, "random bytes as a multipart body");
        }

        var (contentType, body) = Build(boundary, parts);
        return context.Post(path, contentType, body, description);
    }

    /// <summary>A multipart/form-data body of the parts (file parts when a file name is given).</summary>
    internal static (string ContentType, byte[] Body) Build(string boundary, IReadOnlyList<(string Name, string? File, byte[] Data)> parts)
    {
        using var body = new MemoryStream();
        foreach (var (name, file, data) in parts)
        {
            var header = $"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"{(file is null ? string.Empty : $"; filename=\"{file}\"")}\r\nContent-Type: application/octet-stream\r\n\r\n";
            body.Write(Encoding.ASCII.GetBytes(header));
            body.Write(data);
            body.Write("\r\n"u8);
        }

        body.Write(Encoding.ASCII.GetBytes($"--{boundary}--\r\n"));
        return ($"multipart/form-data; boundary={boundary}", body.ToArray());
    }
}
