namespace Dapr.Profiler.ObjectStorage;

/// <summary>An object's key, size and time of last change.</summary>
public sealed record ObjectInfo(string Key, long Size, DateTimeOffset LastModified);

/// <summary>
/// Object storage, the single source of truth. Keys are <c>/</c>-separated relative paths such as
/// <c>segments/1/anonymous/01J…/block.bin</c>. A put is atomic: readers see the whole old object or the whole new
/// one, and once it returns the object is durable.
/// </summary>
public interface IObjectStore
{
    /// <summary>Whether <see cref="GetRangeAsync"/> reads only the range (false: the store reads whole objects).</summary>
    bool SupportsRangeReads { get; }

    /// <exception cref="ObjectStoreException">The object could not be stored.</exception>
    Task PutAsync(string key, ReadOnlyMemory<byte> data, CancellationToken cancellationToken);

    /// <exception cref="ObjectNotFoundException">There is no such object.</exception>
    Task<byte[]> GetAsync(string key, CancellationToken cancellationToken);

    /// <summary>Reads <paramref name="length"/> bytes at <paramref name="offset"/>; fewer at the end of the object.</summary>
    /// <exception cref="ObjectNotFoundException">There is no such object.</exception>
    Task<byte[]> GetRangeAsync(string key, long offset, int length, CancellationToken cancellationToken);

    /// <summary>The object's info, or null when it does not exist.</summary>
    Task<ObjectInfo?> StatAsync(string key, CancellationToken cancellationToken);

    /// <summary>Every object whose key starts with the prefix, in ordinal key order.</summary>
    IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, CancellationToken cancellationToken);

    /// <summary>Deletes the object; deleting a missing object succeeds.</summary>
    Task DeleteAsync(string key, CancellationToken cancellationToken);
}

/// <summary>A failure of the object store itself (I/O, permissions, network).</summary>
public class ObjectStoreException : Exception
{
    public ObjectStoreException(string message)
        : base(message)
    {
    }

    public ObjectStoreException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>The object does not exist.</summary>
public sealed class ObjectNotFoundException(string key) : ObjectStoreException($"object {key} does not exist")
{
    public string Key { get; } = key;
}

/// <summary>The key is not a valid relative path inside the store (empty, absolute, or with <c>..</c>).</summary>
public sealed class InvalidObjectKeyException(string key, string reason) : ObjectStoreException($"invalid object key \"{key}\": {reason}")
{
    public string Key { get; } = key;
}
