using Dapr.Profiler.Model;
using Google.Protobuf;

namespace Dapr.Profiler.Cli;

/// <summary><c>dprof flamegraph FILE</c>: the FlameGraph message as protojson, exactly as querier.v1 answers.</summary>
internal static class FlameGraphCommand
{
    public const long DefaultMaxNodes = 8192;

    public static int Run(Arguments args, TextWriter output)
    {
        var path = args.RequiredPositional(0, "FILE");
        var maxNodes = args.LongOption("max-nodes") ?? DefaultMaxNodes;
        if (maxNodes <= 0)
        {
            throw new UsageException("--max-nodes must be positive");
        }

        var file = ProfileFile.Load(path);
        var index = file.SampleTypeIndex(args.Option("sample-type"));
        var tree = StackTree.FromProfile(file.Profile, index);
        var graph = FlameGraphEncoder.Encode(tree, maxNodes);
        output.WriteLine(JsonFormatter.Default.Format(graph));
        return 0;
    }
}
