namespace Dapr.Profiler.Metastore;

/// <summary>A committed record of the command log: its bytes and where it starts and where the next one starts.</summary>
internal readonly record struct LogRecord(long Address, long NextAddress, ReadOnlyMemory<byte> Payload);

/// <summary>
/// The durable, append-only command log under the state machine (FasterLog in production; tests wrap it to inject
/// faults). Addresses grow monotonically; a record's address is its identity in snapshots and truncation.
/// </summary>
/// <remarks>
/// The metastore calls it from one writer at a time (appends, commits and truncation are serialised by the node);
/// only <see cref="ReadCommitted"/> runs during recovery, before any write.
/// </remarks>
internal interface ICommandLog : IDisposable
{
    /// <summary>The address a log that was never truncated starts at.</summary>
    long FirstAddress { get; }

    /// <summary>The first address still in the log (moves forward with <see cref="TruncateUntil"/>).</summary>
    long BeginAddress { get; }

    /// <summary>The end of the last appended record (committed or not).</summary>
    long TailAddress { get; }

    /// <summary>Appends a record in memory; it is durable only after <see cref="CommitAsync"/> returns.</summary>
    /// <returns>The record's address.</returns>
    long Append(ReadOnlySpan<byte> record);

    /// <summary>Makes every appended record and the latest truncation durable (fsync).</summary>
    /// <exception cref="Exception">The device failed; records appended since the last commit may or may not be durable.</exception>
    ValueTask CommitAsync(CancellationToken cancellationToken);

    /// <summary>The committed records from <paramref name="fromAddress"/> on, in order.</summary>
    /// <exception cref="CorruptRecordException">The log cannot be read at some address (a torn or damaged tail).</exception>
    IEnumerable<LogRecord> ReadCommitted(long fromAddress);

    /// <summary>Drops the records before the address (a record boundary) at the next commit.</summary>
    void TruncateUntil(long address);

    /// <summary>The bytes the log occupies on disk.</summary>
    long SizeOnDisk();
}

/// <summary>Opens (and recovers) the command log in a directory.</summary>
internal delegate ICommandLog CommandLogFactory(string directory, MetastoreOptions options);
