using System.Runtime.CompilerServices;
using Dapr.Profiler.ObjectStorage;

namespace Dapr.Profiler.TestKit;

/// <summary>The operations of <see cref="IObjectStore"/> that faults can be injected into.</summary>
public enum ObjectStoreOperation
{
    Put,

    /// <summary><see cref="IObjectStore.GetAsync"/> and <see cref="IObjectStore.GetRangeAsync"/>.</summary>
    Get,
    Stat,
    List,
    Delete,
}

/// <summary>Whether a failing put fails before storing (nothing written) or after (stored, but the caller sees an error).</summary>
public enum PutFailureMode
{
    BeforeWrite,

    /// <summary>The object is stored and then the put throws: a lost acknowledgement, for idempotence tests.</summary>
    AfterWrite,
}

/// <summary>
/// A decorator over a real <see cref="IObjectStore"/> that fails or delays chosen operations, for tests of what a
/// service does when object storage misbehaves. Thread-safe. Faults are armed per operation: the next N calls fail
/// with <see cref="ObjectStoreException"/> (or a given exception); delays and hooks apply to every call.
/// </summary>
public sealed class FaultInjectingObjectStore(IObjectStore inner) : IObjectStore
{
    private readonly object _gate = new();
    private readonly Dictionary<ObjectStoreOperation, Queue<Func<string, Exception>>> _faults = [];
    private readonly Dictionary<ObjectStoreOperation, TimeSpan> _delays = [];
    private readonly Dictionary<ObjectStoreOperation, int> _calls = [];

    public IObjectStore Inner { get; } = inner ?? throw new ArgumentNullException(nameof(inner));

    public bool SupportsRangeReads => Inner.SupportsRangeReads;

    /// <summary>When a failing put throws relative to the write.</summary>
    public PutFailureMode PutFailureMode { get; set; } = PutFailureMode.BeforeWrite;

    /// <summary>
    /// Runs before every call (after any delay) with the operation and key (the prefix for lists): await a
    /// <see cref="TaskCompletionSource"/> here to hold a call at a chosen point instead of sleeping.
    /// </summary>
    public Func<ObjectStoreOperation, string, CancellationToken, Task>? BeforeCall { get; set; }

    /// <summary>
    /// Makes the next <paramref name="count"/> calls of the operation fail with the exception <paramref name="error"/>
    /// makes from the key (default: an <see cref="ObjectStoreException"/>).
    /// </summary>
    public void FailNext(ObjectStoreOperation operation, int count = 1, Func<string, Exception>? error = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        error ??= key => new ObjectStoreException($"injected {operation} fault for {key}");
        lock (_gate)
        {
            if (!_faults.TryGetValue(operation, out var queue))
            {
                _faults[operation] = queue = new Queue<Func<string, Exception>>();
            }

            for (var i = 0; i < count; i++)
            {
                queue.Enqueue(error);
            }
        }
    }

    public void FailNextPuts(int count = 1) => FailNext(ObjectStoreOperation.Put, count);

    public void FailNextGets(int count = 1) => FailNext(ObjectStoreOperation.Get, count);

    /// <summary>Delays every call of the operation (<see cref="TimeSpan.Zero"/> removes the delay).</summary>
    public void Delay(ObjectStoreOperation operation, TimeSpan delay)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(delay, TimeSpan.Zero);
        lock (_gate)
        {
            _delays[operation] = delay;
        }
    }

    /// <summary>Removes every armed fault and delay.</summary>
    public void Reset()
    {
        lock (_gate)
        {
            _faults.Clear();
            _delays.Clear();
        }
    }

    /// <summary>How many calls of the operation were made, failed ones included.</summary>
    public int Calls(ObjectStoreOperation operation)
    {
        lock (_gate)
        {
            return _calls.GetValueOrDefault(operation);
        }
    }

    public async Task PutAsync(string key, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        var fault = await EnterAsync(ObjectStoreOperation.Put, key, cancellationToken);
        if (fault is not null && PutFailureMode == PutFailureMode.BeforeWrite)
        {
            throw fault;
        }

        await Inner.PutAsync(key, data, cancellationToken);
        if (fault is not null)
        {
            throw fault;
        }
    }

    public async Task<byte[]> GetAsync(string key, CancellationToken cancellationToken)
    {
        ThrowIf(await EnterAsync(ObjectStoreOperation.Get, key, cancellationToken));
        return await Inner.GetAsync(key, cancellationToken);
    }

    public async Task<byte[]> GetRangeAsync(string key, long offset, int length, CancellationToken cancellationToken)
    {
        ThrowIf(await EnterAsync(ObjectStoreOperation.Get, key, cancellationToken));
        return await Inner.GetRangeAsync(key, offset, length, cancellationToken);
    }

    public async Task<ObjectInfo?> StatAsync(string key, CancellationToken cancellationToken)
    {
        ThrowIf(await EnterAsync(ObjectStoreOperation.Stat, key, cancellationToken));
        return await Inner.StatAsync(key, cancellationToken);
    }

    public async IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ThrowIf(await EnterAsync(ObjectStoreOperation.List, prefix, cancellationToken));
        await foreach (var info in Inner.ListAsync(prefix, cancellationToken))
        {
            yield return info;
        }
    }

    public async Task DeleteAsync(string key, CancellationToken cancellationToken)
    {
        ThrowIf(await EnterAsync(ObjectStoreOperation.Delete, key, cancellationToken));
        await Inner.DeleteAsync(key, cancellationToken);
    }

    private static void ThrowIf(Exception? fault)
    {
        if (fault is not null)
        {
            throw fault;
        }
    }

    /// <summary>Counts the call, applies the delay and hook, and takes the next armed fault, if any.</summary>
    private async Task<Exception?> EnterAsync(ObjectStoreOperation operation, string key, CancellationToken cancellationToken)
    {
        TimeSpan delay;
        Func<string, Exception>? fault = null;
        lock (_gate)
        {
            _calls[operation] = _calls.GetValueOrDefault(operation) + 1;
            delay = _delays.GetValueOrDefault(operation);
            if (_faults.TryGetValue(operation, out var queue) && queue.Count > 0)
            {
                fault = queue.Dequeue();
            }
        }

        if (delay > TimeSpan.Zero)
        {
            await Task.Delay(delay, cancellationToken);
        }

        if (BeforeCall is { } hook)
        {
            await hook(operation, key, cancellationToken);
        }

        return fault?.Invoke(key);
    }
}
