using Dapr.Profiler.ObjectStorage;
using Dapr.Profiler.Protos.Block;
using Google.Protobuf;
using Microsoft.Extensions.Logging;

namespace Dapr.Profiler.Metastore;

/// <summary>
/// Re-adds block metadata the segment-writer parked in object storage when AddBlock failed
/// (<c>dlq/{shard}/{tenant or anonymous}/{ULID}/meta.pb</c>, the protobuf <see cref="BlockMeta"/>), then deletes it.
/// AddBlock is idempotent, so an entry re-added twice (a crash between add and delete) is harmless.
/// </summary>
internal sealed class DlqRecovery(MetastoreNode node, IObjectStore store, ILogger logger)
{
    /// <summary>Where the segment-writer parks metadata.</summary>
    public const string Prefix = "dlq/";

    /// <summary>Where entries that are not valid metadata are moved, so they are kept for inspection but not retried.</summary>
    public const string RejectedPrefix = "dlq-rejected/";

    private const string MetaFileName = "/meta.pb";

    /// <summary>One pass over the DLQ.</summary>
    /// <returns>The number of entries added and deleted.</returns>
    /// <exception cref="MetastoreUnavailableException">The metastore cannot write now; the rest waits for the next pass.</exception>
    /// <exception cref="ObjectStoreException">The store failed; the rest waits for the next pass.</exception>
    public async Task<int> RecoverOnceAsync(CancellationToken cancellationToken)
    {
        var keys = new List<string>();
        await foreach (var info in store.ListAsync(Prefix, cancellationToken))
        {
            if (info.Key.EndsWith(MetaFileName, StringComparison.Ordinal))
            {
                keys.Add(info.Key);
            }
        }

        var recovered = 0;
        foreach (var key in keys)
        {
            byte[] bytes;
            try
            {
                bytes = await store.GetAsync(key, cancellationToken);
            }
            catch (ObjectNotFoundException)
            {
                continue; // recovered by another pass meanwhile
            }

            BlockMeta meta;
            try
            {
                meta = BlockMeta.Parser.ParseFrom(bytes);
                await node.AddBlockAsync(meta, cancellationToken);
            }
            catch (Exception ex) when (ex is InvalidProtocolBufferException or MetastoreInvalidRequestException)
            {
                var rejectedKey = RejectedPrefix + key[Prefix.Length..];
                await store.PutAsync(rejectedKey, bytes, cancellationToken);
                await store.DeleteAsync(key, cancellationToken);
                logger.DlqRejected(ex, key, rejectedKey);
                continue;
            }

            await store.DeleteAsync(key, cancellationToken);
            logger.DlqRecovered(meta.Id, key);
            recovered++;
        }

        return recovered;
    }
}
