namespace Dapr.Profiler.Mesh;

/// <summary>Every name the mesh uses: app-ids, components, topics, service methods. Defined once, here.</summary>
public static class DaprNames
{
    /// <summary>App-ids, one per service (also the values of <c>--target</c>).</summary>
    public static class AppIds
    {
        public const string Distributor = "distributor";
        public const string SegmentWriter = "segment-writer";
        public const string Metastore = "metastore";
        public const string CompactionScheduler = "compaction-scheduler";
        public const string CompactionWorker = "compaction-worker";
        public const string QueryFrontend = "query-frontend";
        public const string QueryBackend = "query-backend";

        public static IReadOnlyList<string> All { get; } =
            [Distributor, SegmentWriter, Metastore, CompactionScheduler, CompactionWorker, QueryFrontend, QueryBackend];
    }

    /// <summary>Dapr component names (components/*.yaml).</summary>
    public static class Components
    {
        public const string PubSub = "pubsub";
        public const string ObjectStore = "objectstore";
        public const string ActorStateStore = "actorstore";
    }

    /// <summary>Pub/sub topics.</summary>
    public static class Topics
    {
        public const string Profiles = "profiles";
        public const string ProfilesDeadLetter = "profiles-deadletter";
        public const string CompactionJobs = "compaction-jobs";
    }

    /// <summary>CloudEvent extension attributes the services read or write (lower-case letters and digits, as CloudEvents requires).</summary>
    public static class EventAttributes
    {
        /// <summary>The tenant of a <c>profiles</c> event (the pub/sub counterpart of <c>X-Scope-OrgID</c>).</summary>
        public const string Tenant = "tenant";

        /// <summary>Why an event was moved to a dead-letter topic.</summary>
        public const string DeadLetterReason = "deadletterreason";
    }

    /// <summary>Service methods, invoked as <c>/v1.0/invoke/{appId}/method/{method}</c> with protobuf bodies.</summary>
    public static class Methods
    {
        public const string SegmentWriterPush = "segmentwriter.v1.SegmentWriterService/Push";
        public const string MetastoreAddBlock = "metastore.v1.IndexService/AddBlock";
        public const string MetastoreQueryMetadata = "metastore.v1.MetadataQueryService/QueryMetadata";
        public const string MetastoreProfileTypes = "metastore.v1.MetadataQueryService/ProfileTypes";
        public const string MetastoreLabelNames = "metastore.v1.MetadataQueryService/LabelNames";
        public const string MetastoreLabelValues = "metastore.v1.MetadataQueryService/LabelValues";
        public const string MetastoreSeriesLabels = "metastore.v1.MetadataQueryService/SeriesLabels";
        public const string MetastoreTenantStats = "metastore.v1.TenantService/GetTenantStats";
        public const string QueryBackendInvoke = "querybackend.v1.QueryBackendService/Invoke";
        public const string MetastoreCompactableBlocks = "metastore.v1.CompactionService/CompactableBlocks";
        public const string MetastoreLeaseJob = "metastore.v1.CompactionService/LeaseJob";
        public const string MetastoreReplaceBlocks = "metastore.v1.CompactionService/ReplaceBlocks";
        public const string MetastoreListTombstones = "metastore.v1.CompactionService/ListTombstones";
        public const string MetastoreDeleteTombstones = "metastore.v1.CompactionService/DeleteTombstones";
        public const string MetastoreBlockStates = "metastore.v1.CompactionService/BlockStates";
        public const string MetastoreIndexStats = "metastore.v1.IndexService/IndexStats";
    }

    /// <summary>Actor types and their methods.</summary>
    public static class Actors
    {
        /// <summary>The compaction scheduler: one actor per shard (the id is the shard number), hosted by <c>compaction-scheduler</c>.</summary>
        public const string CompactionScheduler = "CompactionScheduler";

        /// <summary>New blocks may wait in the shard: plan and lease jobs.</summary>
        public const string CompactionSchedulerPoll = "Poll";

        /// <summary>A worker still merging: extend the job's lease.</summary>
        public const string CompactionSchedulerRenewLease = "RenewLease";

        /// <summary>A worker finished a job: commit it to the metastore.</summary>
        public const string CompactionSchedulerCompleteJob = "CompleteJob";

        /// <summary>The live distributors: one actor (id <see cref="DistributorRingId"/>), hosted by <c>distributor</c>.</summary>
        public const string DistributorRing = "DistributorRing";

        /// <summary>The id of the one <see cref="DistributorRing"/> actor.</summary>
        public const string DistributorRingId = "distributors";

        /// <summary>A distributor announces itself (or leaves) and learns how many are live.</summary>
        public const string DistributorRingHeartbeat = "Heartbeat";
    }
}
