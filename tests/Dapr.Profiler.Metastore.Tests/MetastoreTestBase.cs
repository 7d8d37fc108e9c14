namespace Dapr.Profiler.Metastore.Tests;

/// <summary>
/// A temporary data directory per test (deleted afterwards) and helpers that open nodes on it. Every node opened
/// here is disposed at the end of the test, in case the test did not.
/// </summary>
public abstract class MetastoreTestBase : IAsyncDisposable
{
    private readonly List<MetastoreNode> _nodes = [];

    protected MetastoreTestBase()
    {
        DataDirectory = Path.Combine(Path.GetTempPath(), "dprof-metastore-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(DataDirectory);
    }

    protected string DataDirectory { get; }

    protected static CancellationToken Token => TestContext.Current.CancellationToken;

    protected string LogDirectory => Path.Combine(DataDirectory, "metastore", "log");

    protected string SnapshotDirectory => Path.Combine(DataDirectory, "metastore", "snapshots");

    /// <summary>Options on this test's directory; snapshots effectively off unless the test sets them.</summary>
    protected MetastoreOptions NewOptions() => new()
    {
        DataDirectory = DataDirectory,
        SnapshotEveryCommands = int.MaxValue,
        SnapshotEveryBytes = long.MaxValue,
        LogPageSizeBytes = 1 << 20,
        LogSegmentSizeBytes = 1 << 22,
    };

    /// <summary>Opens a node (stamping commands with <paramref name="clock"/>, else the system clock) and waits until it has recovered.</summary>
    internal async Task<MetastoreNode> OpenAsync(MetastoreOptions? options = null, CommandLogFactory? logFactory = null, TimeProvider? clock = null)
    {
        var node = new MetastoreNode(options ?? NewOptions(), null, logFactory, clock);
        _nodes.Add(node);
        node.Start();
        await node.Ready.WaitAsync(TimeSpan.FromSeconds(30), Token);
        return node;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }

        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temp directory left behind does not affect other tests.
        }

        GC.SuppressFinalize(this);
    }
}
