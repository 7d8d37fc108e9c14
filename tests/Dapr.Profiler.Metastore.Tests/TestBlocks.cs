using Dapr.Profiler.Block;
using Dapr.Profiler.Protos.Block;

namespace Dapr.Profiler.Metastore.Tests;

/// <summary>The metadata of one dataset of a test block.</summary>
internal sealed record DatasetSpec(string Tenant, string Service, long MinMs, long MaxMs)
{
    public const string Cpu = "process_cpu:cpu:nanoseconds:cpu:nanoseconds";
    public const string Alloc = "memory:alloc_space:bytes:space:bytes";

    public string[] ProfileTypes { get; init; } = [Cpu];

    /// <summary>Label values as the block writer lists them; <c>Truncated</c> writes n = 0.</summary>
    public (string Name, string[] Values, bool Truncated)[] LabelValues { get; init; } = [];
}

/// <summary>Builds <see cref="BlockMeta"/> protos directly, for tests where only the metadata matters.</summary>
internal static class TestBlocks
{
    public static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeMilliseconds(1_750_000_000_000);

    public static long Ms(DateTimeOffset time) => time.ToUnixTimeMilliseconds();

    /// <summary>A block (a multi-tenant segment unless <paramref name="tenant"/> is given).</summary>
    public static BlockMeta Create(IEnumerable<DatasetSpec> datasets, uint shard = 1, string tenant = "", uint level = 0, string? id = null)
    {
        var strings = new List<string> { string.Empty };
        var index = new Dictionary<string, int>(StringComparer.Ordinal) { [string.Empty] = 0 };
        int S(string value)
        {
            if (!index.TryGetValue(value, out var i))
            {
                i = strings.Count;
                strings.Add(value);
                index.Add(value, i);
            }

            return i;
        }

        var specs = datasets.OrderBy(d => d.Tenant, StringComparer.Ordinal).ThenBy(d => d.Service, StringComparer.Ordinal).ToList();
        var meta = new BlockMeta
        {
            FormatVersion = 1,
            Id = id ?? Ulid.NewUlid(Now).ToString(),
            Tenant = S(tenant),
            Shard = shard,
            CompactionLevel = level,
            MinTime = specs.Min(d => d.MinMs),
            MaxTime = specs.Max(d => d.MaxMs),
            CreatedBy = S("test-host"),
            Size = 4096,
        };

        ulong offset = 8;
        foreach (var spec in specs)
        {
            var dataset = new Dataset
            {
                Tenant = S(spec.Tenant),
                Name = S(spec.Service),
                MinTime = spec.MinMs,
                MaxTime = spec.MaxMs,
                Offset = offset,
                Size = 300,
                ProfileCount = 10,
                SeriesCount = 2,
                SampleCount = 100,
            };
            dataset.SectionSizes.Add([100, 100, 100]);
            dataset.SectionCrc32C.Add([1, 2, 3]);
            offset += 300;
            foreach (var type in spec.ProfileTypes)
            {
                dataset.Labels.Add([2, S("__profile_type__"), S(type), S("service_name"), S(spec.Service)]);
            }

            foreach (var (name, values, truncated) in spec.LabelValues.OrderBy(l => l.Name, StringComparer.Ordinal))
            {
                dataset.LabelValues.Add(S(name));
                dataset.LabelValues.Add(truncated ? 0 : values.Length);
                if (!truncated)
                {
                    foreach (var value in values.Order(StringComparer.Ordinal))
                    {
                        dataset.LabelValues.Add(S(value));
                    }
                }
            }

            meta.Datasets.Add(dataset);
        }

        meta.StringTable.AddRange(strings);
        return meta;
    }

    public static BlockMeta Create(params DatasetSpec[] datasets) => Create((IEnumerable<DatasetSpec>)datasets);

    /// <summary>A segment like the segment-writer's: several tenants, services and profile types, a few labels.</summary>
    public static BlockMeta Segment(int seed, DateTimeOffset time, uint shard = 1)
    {
        var ms = Ms(time);
        var datasets = new List<DatasetSpec>();
        for (var t = 0; t < 4; t++)
        {
            for (var s = 0; s < 5; s++)
            {
                datasets.Add(new DatasetSpec($"tenant-{t}", $"service-{(seed + s) % 50}", ms - 500, ms)
                {
                    ProfileTypes = s % 2 == 0 ? [DatasetSpec.Cpu] : [DatasetSpec.Cpu, DatasetSpec.Alloc],
                    LabelValues =
                    [
                        ("__name__", s % 2 == 0 ? ["process_cpu"] : ["memory", "process_cpu"], false),
                        ("pod", [$"pod-{seed % 7}", $"pod-{(seed + 1) % 7}"], false),
                        ("region", ["eu-west-1"], false),
                    ],
                });
            }
        }

        return Create(datasets, shard);
    }
}
