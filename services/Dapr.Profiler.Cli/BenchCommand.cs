namespace Dapr.Profiler.Cli;

/// <summary><c>dprof bench ...</c>: benchmarks that print the figures the README quotes.</summary>
internal static class BenchCommand
{
    public static Task<int> RunAsync(Arguments args, TextWriter output)
    {
        var what = args.RequiredPositional(0, "what to benchmark (decode, block, ingest or query)");
        return what switch
        {
            "decode" => Task.FromResult(DecodeBench.Run(args, output)),
            "block" => Task.FromResult(BlockBench.Run(args, output)),
            "ingest" => IngestBench.RunAsync(args, output),
            "query" => QueryBench.RunAsync(args, output),
            _ => throw new UsageException($"unknown benchmark \"{what}\""),
        };
    }
}
