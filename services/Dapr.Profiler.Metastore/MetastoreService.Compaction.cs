using Dapr.Profiler.Protos.Metastore;

namespace Dapr.Profiler.Metastore;

/// <summary>The compaction and life-cycle methods: what the scheduler, the workers and retention call.</summary>
public sealed partial class MetastoreService
{
    /// <summary>The most tombstones one <see cref="ListTombstonesAsync"/> returns.</summary>
    public const int MaxTombstonesPerList = 1000;

    /// <summary>The blocks of a shard below a level (with their full metadata), oldest id first.</summary>
    public async Task<CompactableBlocksResponse> CompactableBlocksAsync(CompactableBlocksRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var blocks = await node.ReadAsync(index => index.Compactable(request.Shard, request.BelowLevel), cancellationToken);
        var response = new CompactableBlocksResponse();
        response.Blocks.AddRange(blocks);
        return response;
    }

    /// <summary>Leases a job; the token (the lease's log index) fences every earlier lease of the job.</summary>
    public async Task<LeaseJobResponse> LeaseJobAsync(LeaseJobRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (string.IsNullOrEmpty(request.Job) || request.SourceBlockIds.Count == 0)
        {
            throw new MetastoreInvalidRequestException("a lease needs a job name and its source blocks");
        }

        return (LeaseJobResponse)(await node.ProposeAsync(new Command { LeaseJob = request.Clone() }, null, cancellationToken))!;
    }

    /// <summary>Commits a compaction job atomically (see <c>BlockIndex.ReplaceBlocks</c> for the outcomes).</summary>
    public async Task<ReplaceBlocksResponse> ReplaceBlocksAsync(ReplaceBlocksRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (string.IsNullOrEmpty(request.Job) || request.SourceBlockIds.Count == 0 || request.Outputs.Count == 0)
        {
            throw new MetastoreInvalidRequestException("a commit needs a job name, its source blocks and at least one output");
        }

        foreach (var output in request.Outputs)
        {
            BlockMetaValidation.Validate(output);
            if (output.CompactionLevel == 0)
            {
                throw new MetastoreInvalidRequestException($"output block {output.Id} has level 0; compaction outputs are level 1 or more");
            }
        }

        return (ReplaceBlocksResponse)(await node.ProposeAsync(new Command { ReplaceBlocks = request.Clone() }, null, cancellationToken))!;
    }

    /// <summary>Tombstones created at or before a time, oldest first.</summary>
    public async Task<ListTombstonesResponse> ListTombstonesAsync(ListTombstonesRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var limit = request.Limit is > 0 and <= MaxTombstonesPerList ? request.Limit : MaxTombstonesPerList;
        var tombstones = await node.ReadAsync(index => index.TombstonesBefore(request.CreatedBefore, limit), cancellationToken);
        var response = new ListTombstonesResponse();
        response.Tombstones.AddRange(tombstones);
        return response;
    }

    /// <summary>Forgets tombstones whose objects were deleted.</summary>
    public async Task<DeleteTombstonesResponse> DeleteTombstonesAsync(DeleteTombstonesRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.ObjectKeys.Count > 0)
        {
            await node.ProposeAsync(new Command { DeleteTombstones = request.Clone() }, null, cancellationToken);
        }

        return new DeleteTombstonesResponse();
    }

    /// <summary>Which of the ids are indexed, and which are tombstoned.</summary>
    public async Task<BlockStatesResponse> BlockStatesAsync(BlockStatesRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var ids = request.BlockIds.ToList();
        return await node.ReadAsync(
            index =>
            {
                var response = new BlockStatesResponse();
                response.Indexed.AddRange(ids.Where(index.Contains));
                response.Tombstoned.AddRange(ids.Where(index.IsTombstoned));
                return response;
            },
            cancellationToken);
    }

    /// <summary>Blocks and bytes per compaction level, and the tombstones waiting.</summary>
    public async Task<IndexStatsResponse> IndexStatsAsync(IndexStatsRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return await node.ReadAsync(
            index =>
            {
                var response = new IndexStatsResponse { Tombstones = index.TombstoneCount };
                foreach (var (level, (blocks, bytes)) in index.LevelStats())
                {
                    response.Levels.Add(new LevelStats { Level = level, Blocks = blocks, Bytes = bytes });
                }

                return response;
            },
            cancellationToken);
    }
}
