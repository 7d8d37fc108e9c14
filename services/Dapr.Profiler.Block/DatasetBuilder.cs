using System.Runtime.InteropServices;
using Dapr.Profiler.Model;

namespace Dapr.Profiler.Block;

/// <summary>One dataset (tenant, service) being written: its series, profile rows and symbols.</summary>
internal sealed partial class DatasetBuilder
{
    private readonly Dictionary<SeriesKey, int> _seriesIndex = [];
    private readonly List<LabelSet> _seriesLabels = [];
    private readonly List<ProfileTypeId> _seriesTypes = [];
    private readonly Dictionary<object, int[]> _profileStacks = new(ReferenceEqualityComparer.Instance);
    private RowEntry[] _rows = new RowEntry[16];
    private int _rowCount;
    private int[] _stackIds = new int[1024];
    private long[] _values = new long[1024];
    private int _sampleCount;

    public DatasetBuilder(string tenant, string service)
    {
        Tenant = tenant;
        Service = service;
    }

    public string Tenant { get; }

    public string Service { get; }

    public SymbolTableBuilder Symbols { get; } = new();

    public int RowCount => _rowCount;

    public long MinTimestamp { get; private set; } = long.MaxValue;

    public long MaxTimestamp { get; private set; } = long.MinValue;

    /// <summary>Adds one series of a profile; the profile's symbols are imported once, whatever its series count.</summary>
    public void Add(ProfileSeries series)
    {
        var profile = series.Profile;
        ref var stacks = ref CollectionsMarshal.GetValueRefOrAddDefault(_profileStacks, profile, out var exists);
        if (!exists)
        {
            try
            {
                stacks = Symbols.ImportProfile(profile);
            }
            catch
            {
                _profileStacks.Remove(profile);
                throw;
            }
        }

        var samples = profile.Sample;
        var valueIndex = series.ValueIndex;
        var subset = series.SampleIndexes;
        var sampleCount = series.SampleCount;
        EnsureSampleCapacity(sampleCount);
        var start = _sampleCount;
        var count = 0;
        for (var n = 0; n < sampleCount; n++)
        {
            var i = subset is null ? n : subset[n];
            if ((uint)i >= (uint)samples.Count)
            {
                throw new ArgumentException($"sample index {i} is out of range for a profile with {samples.Count} samples", nameof(series));
            }

            var values = samples[i].Value;
            if ((uint)valueIndex >= (uint)values.Count)
            {
                throw new ArgumentException($"value index {valueIndex} is out of range for a sample with {values.Count} values", nameof(series));
            }

            var value = values[valueIndex];
            if (value != 0)
            {
                _stackIds[start + count] = stacks![i];
                _values[start + count] = value;
                count++;
            }
        }

        var seriesIndex = GetSeries(series.Labels, series.Type);
        AddRow(seriesIndex, series.TimestampNanos, profile.Period, profile.DurationNanos, count);
    }

    /// <summary>The index of a series, added if new.</summary>
    public int GetSeries(LabelSet labels, ProfileTypeId type)
    {
        ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(_seriesIndex, new SeriesKey(labels, type), out var exists);
        if (!exists)
        {
            slot = _seriesLabels.Count;
            _seriesLabels.Add(labels);
            _seriesTypes.Add(type);
        }

        return slot;
    }

    /// <summary>Makes room for <paramref name="count"/> more samples after the committed ones.</summary>
    public void EnsureSampleCapacity(int count)
    {
        var needed = (long)_sampleCount + count;
        if (needed > _stackIds.Length)
        {
            if (needed > Array.MaxLength)
            {
                throw new InvalidOperationException("a dataset cannot hold more than 2^31 samples");
            }

            var size = (int)Math.Min(Math.Max(needed, _stackIds.Length * 2L), Array.MaxLength);
            Array.Resize(ref _stackIds, size);
            Array.Resize(ref _values, size);
        }
    }

    /// <summary>The uncommitted sample area (after <see cref="EnsureSampleCapacity"/>): stack ids and values.</summary>
    public Span<int> PendingStackIds(int count) => _stackIds.AsSpan(_sampleCount, count);

    public Span<long> PendingValues(int count) => _values.AsSpan(_sampleCount, count);

    /// <summary>Commits the first <paramref name="count"/> pending samples as one row (sorted and merged by stack id).</summary>
    public void AddRow(int series, long timestamp, long period, long duration, int count)
    {
        count = SortAndMerge(_stackIds.AsSpan(_sampleCount, count), _values.AsSpan(_sampleCount, count));
        if (_rowCount == _rows.Length)
        {
            Array.Resize(ref _rows, _rows.Length * 2);
        }

        _rows[_rowCount++] = new RowEntry(series, timestamp, period, duration, _sampleCount, count);
        _sampleCount += count;
        MinTimestamp = Math.Min(MinTimestamp, timestamp);
        MaxTimestamp = Math.Max(MaxTimestamp, timestamp);
    }

    /// <summary>Sorts samples by stack id, adds the values of equal ids and drops zero sums; returns the new count.</summary>
    private static int SortAndMerge(Span<int> stackIds, Span<long> values)
    {
        var sorted = true;
        for (var i = 1; i < stackIds.Length && sorted; i++)
        {
            sorted = stackIds[i - 1] < stackIds[i];
        }

        if (sorted)
        {
            return stackIds.Length;
        }

        stackIds.Sort(values);
        var count = 0;
        for (var i = 0; i < stackIds.Length; i++)
        {
            if (count > 0 && stackIds[count - 1] == stackIds[i])
            {
                values[count - 1] = SaturatingMath.Add(values[count - 1], values[i]);
            }
            else
            {
                stackIds[count] = stackIds[i];
                values[count] = values[i];
                count++;
            }
        }

        var kept = 0;
        for (var i = 0; i < count; i++)
        {
            if (values[i] != 0)
            {
                stackIds[kept] = stackIds[i];
                values[kept] = values[i];
                kept++;
            }
        }

        return kept;
    }

    private readonly record struct SeriesKey(LabelSet Labels, ProfileTypeId Type);
}
