namespace Dapr.Profiler.Server.FunctionalTests;

/// <summary>Tests that run the real executable (one child process at a time on 2 cores) run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class ServerProcesses
{
    public const string Name = "server processes";
}
