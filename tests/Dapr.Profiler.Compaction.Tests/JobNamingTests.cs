using System.Text.RegularExpressions;
using Dapr.Profiler.Block;
using Dapr.Profiler.Protos.Block;
using Dapr.Profiler.Protos.Compaction;
using FsCheck;
using FsCheck.Fluent;

namespace Dapr.Profiler.Compaction.Tests;

/// <summary>Job names and output ids follow from the sources alone, so a retried job has the same name and output.</summary>
public sealed partial class JobNamingTests
{
    private static readonly Config Config = Config.QuickThrowOnFailure.WithMaxTest(200);

    private static readonly DateTimeOffset Origin = new(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Job_names_are_a_16_digit_hex_hash_then_tenant_shard_and_level()
    {
        var gen =
            from sources in SourcesGen()
            from tenant in Gen.Elements(string.Empty, "tenant-a", "t", "acme_prod")
            from shard in Gen.Choose(0, 64)
            from level in Gen.Choose(0, 2)
            select (Sources: sources, Tenant: tenant, Shard: (uint)shard, Level: (uint)level);
        Check.One(Config, Prop.ForAll(gen.ToArbitrary(), input =>
        {
            var batch = new CompactionBatch(input.Tenant, input.Shard, input.Level, input.Sources, Forced: false);

            var name = CompactionJobs.Name(batch);

            var match = NamePattern().Match(name);
            Assert.True(match.Success, name);
            Assert.Equal(input.Tenant, match.Groups["tenant"].Value);
            Assert.Equal(input.Shard.ToString(System.Globalization.CultureInfo.InvariantCulture), match.Groups["shard"].Value);
            Assert.Equal(input.Level.ToString(System.Globalization.CultureInfo.InvariantCulture), match.Groups["level"].Value);
        }));
    }

    [Fact]
    public void Job_names_depend_only_on_the_batch_and_change_with_its_sources_tenant_shard_and_level()
    {
        var gen =
            from sources in SourcesGen()
            from other in SourcesGen()
            select (Sources: sources, Other: other);
        Check.One(Config, Prop.ForAll(gen.ToArbitrary(), input =>
        {
            var batch = new CompactionBatch("tenant-a", 3, 1, input.Sources, Forced: false);
            var name = CompactionJobs.Name(batch);

            // The same blocks, as new objects read again from the metastore, and released for another reason.
            var again = batch with { Blocks = [.. input.Sources.Select(b => b.Clone())], Forced = true };
            Assert.Equal(name, CompactionJobs.Name(again));

            Assert.NotEqual(name, CompactionJobs.Name(batch with { Tenant = "tenant-b" }));
            Assert.NotEqual(name, CompactionJobs.Name(batch with { Shard = 4 }));
            Assert.NotEqual(name, CompactionJobs.Name(batch with { Level = 2 }));
            var otherIds = input.Other.Select(b => b.Id).ToList();
            if (!otherIds.SequenceEqual(input.Sources.Select(b => b.Id)))
            {
                Assert.NotEqual(Hash(name), Hash(CompactionJobs.Name(batch with { Blocks = input.Other })));
            }

            if (input.Sources.Count > 1)
            {
                Assert.NotEqual(Hash(name), Hash(CompactionJobs.Name(batch with { Blocks = input.Sources.Skip(1).ToList() })));
            }
        }));
    }

    [Fact]
    public void A_new_job_carries_the_batch_and_its_source_ids_in_batch_order()
    {
        var sources = Sources(4);
        var batch = new CompactionBatch("tenant-a", 2, 1, sources, Forced: true);
        var now = Origin.AddMinutes(5);

        var job = CompactionJobs.Create(batch, now);

        Assert.Equal(CompactionJobs.Name(batch), job.Name);
        Assert.Equal((2u, "tenant-a", 1u), (job.Shard, job.Tenant, job.Level));
        Assert.Equal(now.ToUnixTimeMilliseconds(), job.CreatedAt);
        Assert.Equal(sources.Select(s => s.Id), job.SourceBlockIds);
    }

    [Fact]
    public void Output_ids_are_ulids_with_the_oldest_source_time_and_do_not_depend_on_source_order()
    {
        var gen =
            from sources in SourcesGen()
            from seed in Gen.Choose(0, int.MaxValue)
            from tenant in Gen.Elements(string.Empty, "tenant-a", "tenant-b")
            from level in Gen.Choose(1, 3)
            select (Sources: sources, Seed: seed, Tenant: tenant, Level: (uint)level);
        Check.One(Config, Prop.ForAll(gen.ToArbitrary(), input =>
        {
            var id = CompactionJobs.OutputId(input.Sources, input.Tenant, input.Level);

            Assert.True(Ulid.TryParse(id, out var ulid), id);
            Assert.Equal(id, ulid.ToString());
            Assert.Equal(input.Sources.Min(s => s.GetUlid()).Time, ulid.Time);
            Assert.DoesNotContain(id, input.Sources.Select(s => s.Id));

            var shuffled = input.Sources.Select(s => s.Clone()).ToArray();
            new Random(input.Seed).Shuffle(shuffled);
            Assert.Equal(id, CompactionJobs.OutputId(shuffled, input.Tenant, input.Level));

            var job = new CompactionJob { Level = input.Level - 1 };
            job.Sources.AddRange(shuffled);
            Assert.Equal(ulid.Time, CompactionJobs.OldestSourceTime(job));
        }));
    }

    [Fact]
    public void Output_ids_differ_per_tenant_level_and_source_set()
    {
        var gen =
            from sources in SourcesGen()
            from other in SourcesGen()
            select (Sources: sources, Other: other);
        Check.One(Config, Prop.ForAll(gen.ToArbitrary(), input =>
        {
            var sources = input.Sources;
            var ids = new List<string>
            {
                CompactionJobs.OutputId(sources, "tenant-a", 1),
                CompactionJobs.OutputId(sources, "tenant-b", 1),
                CompactionJobs.OutputId(sources, string.Empty, 1),
                CompactionJobs.OutputId(sources, "tenant-a", 2),
                CompactionJobs.OutputId(sources, "tenant-a", 3),
            };
            if (sources.Count > 1)
            {
                ids.Add(CompactionJobs.OutputId(sources.Skip(1), "tenant-a", 1));
                ids.Add(CompactionJobs.OutputId(sources.Take(sources.Count - 1), "tenant-a", 1));
            }

            if (!input.Other.Select(s => s.Id).Order(StringComparer.Ordinal).SequenceEqual(sources.Select(s => s.Id).Order(StringComparer.Ordinal)))
            {
                ids.Add(CompactionJobs.OutputId(input.Other, "tenant-a", 1));
            }

            Assert.Equal(ids.Count, ids.Distinct(StringComparer.Ordinal).Count());
        }));
    }

    [Fact]
    public void Output_ids_of_two_blocks_created_in_the_same_millisecond_take_that_time()
    {
        var sources = new[]
        {
            BlockMetas.Create(Origin, 7, 1, string.Empty, 0, 0, 1),
            BlockMetas.Create(Origin, 3, 1, string.Empty, 0, 0, 1),
            BlockMetas.Create(Origin.AddHours(1), 1, 1, string.Empty, 0, 0, 1),
        };

        var id = Ulid.Parse(CompactionJobs.OutputId(sources, "tenant-a", 1));

        Assert.Equal(Origin, id.Time);
    }

    private static string Hash(string name) => name[..16];

    /// <summary>1–12 blocks with distinct ids, created within a day (some in the same millisecond), in random order.</summary>
    private static Gen<List<BlockMeta>> SourcesGen() =>
        from count in Gen.Choose(1, 12)
        from times in Gen.Frequency((3, Gen.Choose(0, 86_400_000)), (1, Gen.Choose(0, 3))).ArrayOf(count)
        from salt in Gen.Choose(0, 1_000_000)
        select times
            .Select((t, i) => BlockMetas.Create(Origin.AddMilliseconds(t), (salt * 16) + i, 1, string.Empty, 0, 0, 1))
            .ToList();

    private static List<BlockMeta> Sources(int count) =>
        [.. Enumerable.Range(0, count).Select(i => BlockMetas.Create(Origin.AddSeconds(i), i, 2, "tenant-a", 1, 0, 1))];

    [GeneratedRegex("^(?<hash>[0-9a-f]{16})-T(?<tenant>.*)-S(?<shard>[0-9]+)-L(?<level>[0-9]+)$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();
}
