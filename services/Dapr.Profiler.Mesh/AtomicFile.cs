using Dapr.Profiler.ObjectStorage;

namespace Dapr.Profiler.Mesh;

/// <summary>Whole-file writes that a crash cannot tear: temp file, fsync, rename, fsync of the directory.</summary>
internal static class AtomicFile
{
    public const string TempSuffix = ".tmp";

    public static async Task WriteAsync(string path, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        var directory = Path.GetDirectoryName(path)!;
        Directory.CreateDirectory(directory);
        var temp = $"{path}.{Guid.NewGuid():N}{TempSuffix}";
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
            await using (var stream = new FileStream(temp, options))
            {
                await stream.WriteAsync(data, cancellationToken);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            try
            {
                File.Delete(temp);
            }
            catch (IOException)
            {
                // The original failure matters; RemoveAbandoned cleans up at the next start.
            }

            throw;
        }

        DirectorySync.Sync(directory);
    }

    public static void Delete(string path)
    {
        File.Delete(path);
        DirectorySync.Sync(Path.GetDirectoryName(path)!);
    }

    /// <summary>Removes temporary files left by writes that died; call only while no writer runs.</summary>
    public static int RemoveAbandoned(string directory)
    {
        if (!Directory.Exists(directory))
        {
            return 0;
        }

        var removed = 0;
        foreach (var file in Directory.EnumerateFiles(directory, "*" + TempSuffix, SearchOption.AllDirectories))
        {
            File.Delete(file);
            removed++;
        }

        return removed;
    }
}
