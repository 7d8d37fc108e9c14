using System.Runtime.CompilerServices;

namespace Dapr.Profiler.ObjectStorage;

public sealed partial class FileSystemObjectStore
{
    /// <summary>
    /// Every object whose key starts with <paramref name="prefix"/> as a plain string (S3 semantics: <c>a/b</c>
    /// matches <c>a/b/c</c> and <c>a/bc</c>; <c>a/b/</c> only the former), in ordinal key order. Directories that
    /// cannot hold a match are not read. Temporary files and symbolic links are never listed. Objects put or deleted
    /// during the listing may or may not appear.
    /// </summary>
    public async IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        await Task.CompletedTask;
        using var walk = Walk(new DirectoryInfo(_root), string.Empty, prefix).GetEnumerator();
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                if (!walk.MoveNext())
                {
                    yield break;
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new ObjectStoreException($"cannot list objects with prefix {prefix}: {ex.Message}", ex);
            }

            yield return walk.Current;
        }
    }

    private static IEnumerable<ObjectInfo> Walk(DirectoryInfo directory, string directoryKey, string prefix)
    {
        FileSystemInfo[] entries;
        try
        {
            entries = directory.GetFileSystemInfos();
        }
        catch (DirectoryNotFoundException)
        {
            yield break; // pruned by a concurrent delete
        }

        // Sorting a directory by name, with "/" appended to subdirectories, yields global ordinal key order:
        // every key below "a/" compares to a sibling exactly as "a/" does, since names hold no "/".
        var matches = new List<(string Key, FileSystemInfo Entry)>(entries.Length);
        foreach (var entry in entries)
        {
            if ((directoryKey.Length == 0 && entry.Name == TempDirectoryName)
                || entry.Attributes.HasFlag(FileAttributes.ReparsePoint)
                || !IsListableName(entry.Name))
            {
                continue;
            }

            var isDirectory = entry is DirectoryInfo;
            var key = directoryKey + entry.Name + (isDirectory ? "/" : string.Empty);
            var relevant = isDirectory
                ? key.StartsWith(prefix, StringComparison.Ordinal) || prefix.StartsWith(key, StringComparison.Ordinal)
                : key.StartsWith(prefix, StringComparison.Ordinal);
            if (relevant)
            {
                matches.Add((key, entry));
            }
        }

        matches.Sort((x, y) => string.CompareOrdinal(x.Key, y.Key));
        foreach (var (key, entry) in matches)
        {
            if (entry is DirectoryInfo subdirectory)
            {
                foreach (var info in Walk(subdirectory, key, prefix))
                {
                    yield return info;
                }
            }
            else
            {
                yield return ToObjectInfo(key, (FileInfo)entry);
            }
        }
    }

    /// <summary>Names a key could not contain (made by something else than the store) are not objects.</summary>
    private static bool IsListableName(string name)
    {
        foreach (var c in name)
        {
            if (c == '\\' || char.IsControl(c))
            {
                return false;
            }
        }

        return true;
    }
}
