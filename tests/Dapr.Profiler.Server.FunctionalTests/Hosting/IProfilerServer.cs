namespace Dapr.Profiler.Server.FunctionalTests.Hosting;

/// <summary>A running profiler server, in this process or as a child process.</summary>
public interface IProfilerServer : IAsyncDisposable
{
    /// <summary>Where it listens, e.g. <c>http://127.0.0.1:40123/</c>.</summary>
    Uri BaseAddress { get; }

    /// <summary>Its <c>--data-dir</c>: <c>bucket/</c> (objects) and <c>metastore/</c> (the log) are below it.</summary>
    string DataDirectory { get; }

    /// <summary>A client for <see cref="BaseAddress"/>.</summary>
    HttpClient Client { get; }

    /// <summary>What the server logged so far, for assertion messages.</summary>
    string Logs { get; }
}
