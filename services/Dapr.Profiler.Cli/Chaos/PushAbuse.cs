using Dapr.Profiler.Protos.Push;
using Dapr.Profiler.Protos.Types;
using Google.Protobuf;

namespace Dapr.Profiler.Cli.Chaos;

/// <summary>Bad <c>push.v1.PusherService/Push</c> bodies: random bytes, broken proto and JSON, odd labels and samples.</summary>
internal static class PushAbuse
{
    private const string Path = "/push.v1.PusherService/Push";

    public static ChaosRequest Generate(ChaosContext context)
    {
        var random = context.Random;
        var proto = context.Pick("application/proto", "application/x-protobuf", "application/protobuf");
        switch (random.Next(12))
        {
            case 0:
                return context.Post(Path, proto, context.Bytes(random.Next(8192)), "random bytes as proto");
            case 1:
                return context.Post(Path, "application/json", context.Bytes(random.Next(8192)), "random bytes as JSON");
            case 2:
                return context.Post(Path, "application/json", ChaosContext.Utf8(context.Pick("{", "[]", "null", "{\"series\":\"x\"}", "{\"series\":[{\"labels\":5}]}", "{\"series\":[{\"samples\":[{\"rawProfile\":\"!!notbase64\"}]}]}", "{\"series\":[{\"labels\":[{\"name\":null}]}]}", new string('[', 100_000))), "malformed JSON");
            case 3:
                return context.Post(Path, proto, ChaosContext.Gzip(context.Bytes(512))[..20], "truncated gzip", contentEncoding: "gzip");
            case 4:
                return context.Post(Path, context.Pick("text/plain", "application/grpc", "application/grpc-web+proto", "multipart/form-data"), Push(context, Valid(context)).ToByteArray(), "unsupported content type");
            default:
                var push = Push(context, random.Next(7) switch
                {
                    0 => ByteString.CopyFrom(context.Bytes(random.Next(4096))),
                    1 => ByteString.Empty,
                    2 => ByteString.CopyFrom(context.Bytes(64)),
                    _ => Valid(context),
                });
                var what = MutateLabels(context, push);
                var json = random.Next(3) == 0;
                return json
                    ? context.Post(Path, "application/json", ChaosContext.Utf8(JsonFormatter.Default.Format(push)), what + " (JSON)")
                    : context.Post(Path, proto, push.ToByteArray(), what + " (proto)");
        }
    }

    private static ByteString Valid(ChaosContext context) => ByteString.CopyFrom(ChaosContext.Gzip(context.Template().ToByteArray()));

    private static PushRequest Push(ChaosContext context, ByteString raw)
    {
        var series = new RawProfileSeries();
        series.Labels.Add(new LabelPair { Name = "service_name", Value = context.Service() });
        series.Labels.Add(new LabelPair { Name = "__name__", Value = "process_cpu" });
        series.Samples.Add(new RawSample { RawProfile = raw, ID = Guid.Empty.ToString() });
        var push = new PushRequest();
        push.Series.Add(series);
        return push;
    }

    private static string MutateLabels(ChaosContext context, PushRequest push)
    {
        var labels = push.Series[0].Labels;
        switch (context.Random.Next(8))
        {
            case 0:
                labels.Clear();
                return "no labels";
            case 1:
                labels.RemoveAt(0);
                return "no service_name";
            case 2:
                for (var i = 0; i < context.Pick(31, 1_000); i++)
                {
                    labels.Add(new LabelPair { Name = $"l{i}", Value = "v" });
                }

                return "too many labels";
            case 3:
                labels.Add(new LabelPair { Name = context.Pick(string.Empty, "1bad", "a-b", "ä", new string('k', 2_000)), Value = "v" });
                return "bad label name";
            case 4:
                labels.Add(new LabelPair { Name = "k", Value = context.Pick(string.Empty, new string('v', 100_000), "\u0000") });
                return "odd label value";
            case 5:
                labels.Add(labels[0].Clone());
                return "duplicate label";
            case 6:
                for (var i = 0; i < 200; i++)
                {
                    push.Series.Add(push.Series[0].Clone());
                }

                return "201 identical series";
            default:
                push.Series[0].Samples[0].ID = context.Pick("not-a-uuid", new string('i', 10_000));
                return "bad sample ID";
        }
    }
}
