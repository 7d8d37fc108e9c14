using FASTER.core;

namespace Dapr.Profiler.Metastore;

/// <summary>
/// The command log on a <see cref="FasterLog"/>: segment files <c>log.N</c> and commit metadata in
/// <c>log-commits/commit.N.0</c> inside the directory.
/// </summary>
/// <remarks>
/// FASTER writes segments with write-through file handles, and a commit writes the records first and then the commit
/// metadata (the address the log is committed until), so after a crash recovery never trusts a record past the last
/// complete commit. It does not verify records of the page it reloads into memory, and a damaged segment may read
/// back as zeros; that is why every record also carries its own checksum (<see cref="CommandCodec"/>).
/// </remarks>
internal sealed class FasterCommandLog : ICommandLog
{
    /// <summary>FASTER's first valid logical address; a log that was never truncated begins here.</summary>
    public const long FasterFirstAddress = 64;

    private readonly IDevice _device;
    private readonly FasterLog _log;
    private readonly string _directory;

    private FasterCommandLog(string directory, IDevice device, FasterLog log)
    {
        _directory = directory;
        _device = device;
        _log = log;
    }

    public long FirstAddress => FasterFirstAddress;

    public long BeginAddress => _log.BeginAddress;

    public long TailAddress => _log.TailAddress;

    /// <summary>Opens the log in <paramref name="directory"/>, recovering to its latest complete commit.</summary>
    /// <exception cref="MetastoreCorruptedException">FASTER cannot recover the log from its files.</exception>
    public static FasterCommandLog Open(string directory, MetastoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(options);
        Directory.CreateDirectory(directory);
        var device = Devices.CreateLogDevice(
            Path.Combine(directory, "log"), preallocateFile: false, deleteOnClose: false, recoverDevice: true);
        FasterLog? log = null;
        try
        {
            using var settings = new FasterLogSettings
            {
                LogDevice = device,
                LogCommitDir = directory,
                PageSize = options.LogPageSizeBytes,
                MemorySize = 2L * options.LogPageSizeBytes,
                SegmentSize = options.LogSegmentSizeBytes,
                LogChecksum = LogChecksumType.PerEntry,
                RemoveOutdatedCommits = true,

                // Recover explicitly below: the constructor swallows recovery errors and would start an empty log.
                TryRecoverLatest = false,
                AutoCommit = false,
            };
            log = new FasterLog(settings);
            log.Recover();
            return new FasterCommandLog(directory, device, log);
        }
        catch (Exception ex) when (ex is FasterException or IOException or InvalidOperationException or EndOfStreamException)
        {
            log?.Dispose();
            device.Dispose();
            throw new MetastoreCorruptedException($"the metastore log in {directory} cannot be recovered: {ex.Message}", ex);
        }
        catch
        {
            log?.Dispose();
            device.Dispose();
            throw;
        }
    }

    public long Append(ReadOnlySpan<byte> record) => _log.Enqueue(record);

    public ValueTask CommitAsync(CancellationToken cancellationToken) => _log.CommitAsync(cancellationToken);

    public IEnumerable<LogRecord> ReadCommitted(long fromAddress)
    {
        var end = _log.CommittedUntilAddress;
        if (fromAddress >= end)
        {
            yield break;
        }

        using var iterator = _log.Scan(fromAddress, end, scanBufferingMode: ScanBufferingMode.SinglePageBuffering);
        while (true)
        {
            byte[] entry;
            int length;
            long address;
            long next;
            try
            {
                if (!iterator.GetNext(out entry, out length, out address, out next))
                {
                    yield break;
                }
            }
            catch (Exception ex) when (ex is FasterException or IOException)
            {
                throw new CorruptRecordException($"the log cannot be read after address {iterator.NextAddress}: {ex.Message}", ex);
            }

            yield return new LogRecord(address, next, entry.AsMemory(0, length));
        }
    }

    public void TruncateUntil(long address) => _log.TruncateUntil(address);

    public long SizeOnDisk()
    {
        long total = 0;
        foreach (var file in new DirectoryInfo(_directory).EnumerateFiles("*", SearchOption.AllDirectories))
        {
            try
            {
                total += file.Length;
            }
            catch (FileNotFoundException)
            {
                // A segment truncated away between listing and sizing holds no bytes any more.
            }
        }

        return total;
    }

    public void Dispose()
    {
        _log.Dispose();
        _device.Dispose();
    }
}
