using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Dapr.Profiler.ObjectStorage;

/// <summary>
/// An <see cref="IObjectStore"/> on a local directory: each object is one file at <c>{root}/{key}</c>.
/// <para>
/// A put is atomic and durable: the bytes go to a new file under <c>{root}/.tmp/</c>, which is fsynced, renamed
/// over the target (rename(2) replaces the name in one step, so a reader opens the whole old file or the whole new
/// one), and then the target's directory (and every directory the put created) is fsynced, so the new name
/// survives a crash. Readers keep reading the file they opened even while a put replaces it.
/// </para>
/// <para>
/// Keys follow <see cref="ObjectKeys"/>; in addition the first segment <c>.tmp</c> is reserved, and a key whose
/// path crosses a symbolic link inside the root is rejected, so nothing outside the root can be reached. The
/// filesystem cannot hold both an object <c>a</c> and an object <c>a/b</c> (S3 can): such a put fails with
/// <see cref="ObjectStoreException"/>. On case-insensitive filesystems keys differing only in case collide.
/// </para>
/// </summary>
public sealed partial class FileSystemObjectStore : IObjectStore
{
    /// <summary>The root folder that holds in-flight puts; never listed and never a valid first key segment.</summary>
    public const string TempDirectoryName = ".tmp";

    /// <summary>Temporary files older than this at open belong to puts that died, not to a live writer.</summary>
    private static readonly TimeSpan StaleTempFileAge = TimeSpan.FromHours(1);

    private const int MaxMoveAttempts = 10;

    private readonly string _root;
    private readonly string _rootWithSeparator;
    private readonly string _tempDirectory;
    private readonly ILogger _logger;
    private int _directorySyncUnsupportedLogged;

    /// <summary>Opens (creating if needed) the store rooted at <paramref name="rootDirectory"/>.</summary>
    /// <exception cref="ObjectStoreException">The root cannot be created or used.</exception>
    public FileSystemObjectStore(string rootDirectory, ILogger<FileSystemObjectStore>? logger = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(rootDirectory);
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(rootDirectory));
        _rootWithSeparator = _root + Path.DirectorySeparatorChar;
        _tempDirectory = Path.Join(_root, TempDirectoryName);
        try
        {
            Directory.CreateDirectory(_root);
            Directory.CreateDirectory(_tempDirectory);
            SyncDirectory(_root);
            var removed = RemoveStaleTempFiles();
            Log.Opened(_logger, _root, removed);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ObjectStoreException($"cannot open the object store at {_root}: {ex.Message}", ex);
        }
    }

    /// <summary>The absolute root directory.</summary>
    public string RootDirectory => _root;

    public bool SupportsRangeReads => true;

    public async Task PutAsync(string key, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        var path = ResolvePath(key);
        cancellationToken.ThrowIfCancellationRequested();
        var temp = Path.Join(_tempDirectory, Guid.NewGuid().ToString("N") + ".tmp");
        var moved = false;
        try
        {
            Directory.CreateDirectory(_tempDirectory);
            await WriteDurablyAsync(temp, data, cancellationToken);
            MoveIntoPlace(temp, path);
            moved = true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ObjectStoreException($"cannot store object {key}: {ex.Message}", ex);
        }
        finally
        {
            if (!moved)
            {
                TryDeleteTemp(temp);
            }
        }
    }

    public Task<byte[]> GetAsync(string key, CancellationToken cancellationToken) =>
        ReadAsync(key, 0, int.MaxValue, cancellationToken);

    public Task<byte[]> GetRangeAsync(string key, long offset, int length, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        return ReadAsync(key, offset, length, cancellationToken);
    }

    public Task<ObjectInfo?> StatAsync(string key, CancellationToken cancellationToken)
    {
        var path = ResolvePath(key);
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            var info = new FileInfo(path);
            return Task.FromResult(info.Exists ? ToObjectInfo(key, info) : null);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ObjectStoreException($"cannot stat object {key}: {ex.Message}", ex);
        }
    }

    public Task DeleteAsync(string key, CancellationToken cancellationToken)
    {
        var path = ResolvePath(key);
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            if (Directory.Exists(path))
            {
                // A "directory" is only the common prefix of other keys, not an object: nothing to delete.
                return Task.CompletedTask;
            }

            File.Delete(path);
        }
        catch (DirectoryNotFoundException)
        {
            return Task.CompletedTask;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ObjectStoreException($"cannot delete object {key}: {ex.Message}", ex);
        }

        PruneEmptyDirectories(Path.GetDirectoryName(path)!);
        return Task.CompletedTask;
    }

    /// <summary>Maps a key to its file, rejecting every key that could reach outside the root.</summary>
    /// <exception cref="InvalidObjectKeyException">The key breaks the rules.</exception>
    internal string ResolvePath(string key)
    {
        var segments = ObjectKeys.Validate(key);
        if (segments[0] == TempDirectoryName)
        {
            throw new InvalidObjectKeyException(key, $"the first segment '{TempDirectoryName}' is reserved for the store's temporary files");
        }

        var path = Path.GetFullPath(Path.Join(_root, Path.Join(segments)));
        if (!path.StartsWith(_rootWithSeparator, StringComparison.Ordinal))
        {
            throw new InvalidObjectKeyException(key, "the key resolves outside the store");
        }

        // A link inside the root could point anywhere; the store never makes links, so it refuses to follow any.
        var current = _root;
        foreach (var segment in segments)
        {
            current = Path.Join(current, segment);
            var attributes = new FileInfo(current).Attributes;
            if ((int)attributes == -1)
            {
                break; // does not exist: neither does anything below it
            }

            if (attributes.HasFlag(FileAttributes.ReparsePoint))
            {
                throw new InvalidObjectKeyException(key, $"the path crosses the symbolic link {segment}");
            }
        }

        return path;
    }

    private static ObjectInfo ToObjectInfo(string key, FileInfo info) =>
        new(key, info.Length, new DateTimeOffset(info.LastWriteTimeUtc, TimeSpan.Zero));

    private async Task<byte[]> ReadAsync(string key, long offset, int length, CancellationToken cancellationToken)
    {
        var path = ResolvePath(key);
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            // The handle pins the file: a put that replaces it meanwhile makes a new file, this one stays whole.
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var size = RandomAccess.GetLength(handle);
            if (offset >= size)
            {
                return [];
            }

            var count = Math.Min(length, size - offset);
            if (count > Array.MaxLength)
            {
                throw new ObjectStoreException($"object {key} is {size} bytes, too large to read at once; read ranges");
            }

            var buffer = new byte[count];
            var read = 0;
            while (read < buffer.Length)
            {
                var n = await RandomAccess.ReadAsync(handle, buffer.AsMemory(read), offset + read, cancellationToken);
                if (n == 0)
                {
                    Array.Resize(ref buffer, read); // the file is never truncated in place, but do not return zeros
                    break;
                }

                read += n;
            }

            return buffer;
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ObjectNotFoundException(key);
        }
        catch (UnauthorizedAccessException) when (Directory.Exists(path))
        {
            throw new ObjectNotFoundException(key); // a directory is a prefix of other keys, not an object
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ObjectStoreException($"cannot read object {key}: {ex.Message}", ex);
        }
    }

    private static async Task WriteDurablyAsync(string path, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            Share = FileShare.None,
            BufferSize = 0,
            PreallocationSize = data.Length,
        };
        await using var stream = new FileStream(path, options);
        await stream.WriteAsync(data, cancellationToken);
        stream.Flush(flushToDisk: true);
    }

    private void MoveIntoPlace(string temp, string path)
    {
        var directory = Path.GetDirectoryName(path)!;
        for (var attempt = 1; ; attempt++)
        {
            List<string> created;
            try
            {
                created = CreateDirectories(directory);
                File.Move(temp, path, overwrite: true);
            }
            catch (IOException ex) when (ex is DirectoryNotFoundException or FileNotFoundException
                                          && attempt < MaxMoveAttempts && File.Exists(temp))
            {
                continue; // a concurrent delete pruned a directory between its creation and the rename (ENOENT)
            }

            SyncDirectory(directory);
            foreach (var dir in created)
            {
                SyncDirectory(Path.GetDirectoryName(dir)!); // makes the new directory's own entry durable
            }

            return;
        }
    }

    /// <summary>Creates <paramref name="directory"/> and its missing parents; returns those it created.</summary>
    private List<string> CreateDirectories(string directory)
    {
        var missing = new List<string>();
        for (var dir = directory; dir.Length > _root.Length && !Directory.Exists(dir); dir = Path.GetDirectoryName(dir)!)
        {
            missing.Add(dir);
        }

        if (missing.Count > 0)
        {
            Directory.CreateDirectory(directory);
        }

        return missing;
    }

    private void SyncDirectory(string directory)
    {
        if (!DirectorySync.TrySync(directory, out var errno) && Interlocked.Exchange(ref _directorySyncUnsupportedLogged, 1) == 0)
        {
            Log.DirectorySyncUnsupported(_logger, directory, errno);
        }
    }

    private void PruneEmptyDirectories(string directory)
    {
        for (var dir = directory; dir.Length > _root.Length; dir = Path.GetDirectoryName(dir)!)
        {
            try
            {
                Directory.Delete(dir, recursive: false);
            }
            catch (DirectoryNotFoundException)
            {
                // Pruned by a concurrent delete; its parent may still be empty.
            }
            catch (IOException)
            {
                return; // not empty: an object or a concurrent put lives below it
            }
            catch (UnauthorizedAccessException ex)
            {
                Log.DirectoryNotPruned(_logger, ex, dir);
                return;
            }
        }
    }

    private void TryDeleteTemp(string temp)
    {
        try
        {
            File.Delete(temp);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Log.TempFileNotRemoved(_logger, ex, temp);
        }
    }

    private int RemoveStaleTempFiles()
    {
        var removed = 0;
        var cutoff = DateTime.UtcNow - StaleTempFileAge;
        foreach (var file in new DirectoryInfo(_tempDirectory).EnumerateFiles())
        {
            if (file.LastWriteTimeUtc < cutoff)
            {
                TryDeleteTemp(file.FullName);
                removed++;
            }
        }

        return removed;
    }
}
