using System.Runtime.InteropServices;

namespace Dapr.Profiler.ObjectStorage;

/// <summary>
/// fsync of a directory, which makes a rename or a new entry in it durable. .NET cannot open a directory as a
/// file handle on Unix (<c>File.OpenHandle</c> refuses directories), so this calls libc's <c>open</c>/<c>fsync</c>.
/// On Windows there is no equivalent; NTFS journals its metadata, and the call does nothing.
/// </summary>
public static partial class DirectorySync
{
    private const int ReadOnly = 0;
    private const int InvalidArgument = 22;
    private const int NotSupportedLinux = 95;
    private const int NotSupportedBsd = 45;

    /// <summary>Syncs the directory's entries to disk.</summary>
    /// <returns>
    /// False, with the errno, when the filesystem does not support syncing directories (some network and FUSE
    /// filesystems answer EINVAL or ENOTSUP); true when synced or when the platform has nothing to sync.
    /// </returns>
    /// <exception cref="IOException">The directory could not be opened or synced.</exception>
    public static bool TrySync(string directory, out int errno)
    {
        errno = 0;
        if (OperatingSystem.IsWindows())
        {
            return true;
        }

        var fd = Open(directory, ReadOnly);
        if (fd < 0)
        {
            errno = Marshal.GetLastPInvokeError();
            throw new IOException($"cannot open directory {directory} to sync it (errno {errno})");
        }

        try
        {
            if (Fsync(fd) == 0)
            {
                return true;
            }

            errno = Marshal.GetLastPInvokeError();
            if (errno is InvalidArgument or NotSupportedLinux or NotSupportedBsd)
            {
                return false;
            }

            throw new IOException($"fsync of directory {directory} failed (errno {errno})");
        }
        finally
        {
            _ = Close(fd);
        }
    }

    /// <summary>Syncs the directory's entries; a filesystem that cannot sync directories is skipped.</summary>
    /// <exception cref="IOException">The directory could not be opened or synced.</exception>
    public static void Sync(string directory) => _ = TrySync(directory, out _);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
