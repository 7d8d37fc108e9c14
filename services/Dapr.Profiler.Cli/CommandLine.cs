using Dapr.Profiler.Model;

namespace Dapr.Profiler.Cli;

/// <summary>Dispatches <c>dprof</c> commands. Exit codes: 0 success, 1 bad input or failure, 2 usage error.</summary>
internal static class CommandLine
{
    public const string Usage = """
        usage: dprof <command> [options]

        commands:
          inspect FILE                                   summarise a pprof (gzip or raw) or folded profile
          flamegraph FILE [--sample-type T] [--max-nodes N]
                                                         print the flame graph as querier.v1 FlameGraph JSON
          upload FILE --url URL --name 'app{k=v}' [--from T] [--tenant ID]
                                                         send a pprof or folded profile to /ingest
          query profile-types|labels|merge|series --url URL [--query '{service_name="x"}']
                [--profile-type ID] [--from now-1h] [--to now] [--name LABEL] [--step S] [--group-by L]
                [--output FILE.pb.gz] [--max-nodes N] [--format json] [--tenant ID]
                                                         ask a server through querier.v1 (merge with --output writes pprof)
          bench decode [--corpus DIR] [--seconds S]      pprof decode + normalise throughput vs raw protobuf parsing
          bench block [--corpus DIR] [--seconds S]       block bytes per profile vs gzipped pprof; block write/read speed
          bench ingest [--url URL] [--concurrency N | --rate R] [--seconds S] [--services N]
                                                         push real profiles to a running server; throughput, ack latency
          bench query [--url URL] [--services 1] [--profiles-per-service 3600] [--queries 20] [--warmup 5]
                [--concurrency 1024] [--compaction-timeout S] [--shards 4]
                                                         ingest an hour of profiles per service (1/s) into a running
                                                         server, then time merge, series and label-values queries and
                                                         the bytes read from object storage per query (start the server
                                                         with --Distributor:IngestionRateBytesPerSecond=0); with
                                                         --compaction-timeout, wait until every block is compacted to
                                                         level 3, print time to first compaction, blocks and bytes per
                                                         profile, and time the queries again
          chaos ingest --url URL --seed S [--requests 1000] [--concurrency 4] [--max-rss-mib 2048] [--only I] [--categories a,b]
                                                         seeded hostile-input campaign (pprof mutations, gzip bombs,
                                                         multipart, /ingest query strings, push.v1 bodies, selectors,
                                                         querier.v1 bodies, time ranges) against a running server;
                                                         fails on any 5xx, 4xx without a message, unanswered request,
                                                         /ready not 200, peak RSS over the limit or a changed answer
                                                         over its baseline; --only I replays request I of the seed
          soak --url URL --minutes M --rate R [--seed S] [--query-every 5]
                                                         open-loop ingest of corpus profiles at R/s with a query every
                                                         few seconds; per interval: server RSS, GC heap and
                                                         collections, ack p50/p99, query p50, errors; exit 1 on error
        """;

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr)
    {
        try
        {
            var parsed = Arguments.Parse(args);
            return parsed.Command switch
            {
                "inspect" => InspectCommand.Run(parsed, stdout),
                "flamegraph" => FlameGraphCommand.Run(parsed, stdout),
                "bench" => await BenchCommand.RunAsync(parsed, stdout),
                "upload" => await UploadCommand.RunAsync(parsed, stdout),
                "query" => await QueryCommand.RunAsync(parsed, stdout),
                "chaos" => await Chaos.ChaosCommand.RunAsync(parsed, stdout),
                "soak" => await SoakCommand.RunAsync(parsed, stdout),
                "help" or "--help" or "-h" => Help(stdout),
                _ => throw new UsageException(parsed.Command.Length == 0 ? "no command given" : $"unknown command \"{parsed.Command}\""),
            };
        }
        catch (UsageException ex)
        {
            await stderr.WriteLineAsync($"dprof: {ex.Message}");
            await stderr.WriteLineAsync(Usage);
            return 2;
        }
        catch (ProfileException ex)
        {
            await stderr.WriteLineAsync($"dprof: {OneLine(ex.Message)}");
            return 1;
        }
        catch (IOException ex)
        {
            await stderr.WriteLineAsync($"dprof: {OneLine(ex.Message)}");
            return 1;
        }
        catch (HttpRequestException ex)
        {
            await stderr.WriteLineAsync($"dprof: {OneLine(ex.Message)}");
            return 1;
        }
        catch (UnauthorizedAccessException ex)
        {
            await stderr.WriteLineAsync($"dprof: {OneLine(ex.Message)}");
            return 1;
        }
    }

    private static int Help(TextWriter stdout)
    {
        stdout.WriteLine(Usage);
        return 0;
    }

    private static string OneLine(string message) => message.ReplaceLineEndings(" ");
}

/// <summary>A mistake in the command line itself.</summary>
internal sealed class UsageException(string message) : Exception(message);
