using Dapr.Profiler.Model;
using Dapr.Profiler.Protos.Block;

namespace Dapr.Profiler.Block;

/// <summary>
/// One dataset of a block: its series, profile rows and symbols. Section checksums are verified and the series and
/// rows decoded when it is opened; symbols are decoded on first use. Safe for concurrent reads.
/// </summary>
public sealed partial class DatasetReader
{
    private readonly ReadOnlyMemory<byte> _symbolsBytes;
    private readonly int _maxSectionBytes;
    private readonly DatasetSeries[] _series;
    private SymbolsSection? _symbols;

    internal DatasetReader(ReadOnlyMemory<byte> bytes, Dataset meta, string tenant, string service, BlockReaderOptions options)
    {
        Meta = meta;
        Tenant = tenant;
        ServiceName = service;
        _maxSectionBytes = options.MaxSectionBytes;
        if ((ulong)bytes.Length != meta.Size)
        {
            throw new BlockFormatException($"dataset {tenant}/{service} is {bytes.Length} bytes, but its metadata says {meta.Size}");
        }

        var sections = new ReadOnlyMemory<byte>[BlockFormat.SectionCount];
        var offset = 0;
        for (var i = 0; i < sections.Length; i++)
        {
            var size = (int)meta.SectionSizes[i];
            sections[i] = bytes.Slice(offset, size);
            offset += size;
            var crc = Crc32C.Compute(sections[i].Span);
            if (crc != meta.SectionCrc32C[i])
            {
                throw new BlockFormatException(
                    $"{BlockFormat.SectionNames[i]} section of dataset {tenant}/{service} is corrupt: checksum 0x{crc:x8}, expected 0x{meta.SectionCrc32C[i]:x8}");
            }
        }

        _series = SeriesSection.Decode(Decode(sections[BlockFormat.SeriesSection], BlockFormat.SeriesSection)).Series;
        RowData = RowsSection.Decode(Decode(sections[BlockFormat.ProfilesSection], BlockFormat.ProfilesSection), _series.Length);
        _symbolsBytes = sections[BlockFormat.SymbolsSection];
    }

    public string Tenant { get; }

    public string ServiceName { get; }

    /// <summary>The dataset's entry in the block metadata.</summary>
    public Dataset Meta { get; }

    /// <summary>The series, in index order (sorted by labels).</summary>
    public IReadOnlyList<DatasetSeries> Series => _series;

    public int RowCount => RowData.RowCount;

    internal RowsSection RowData { get; }

    internal SymbolsSection Symbols
    {
        get
        {
            var symbols = Volatile.Read(ref _symbols);
            if (symbols is null)
            {
                symbols = SymbolsSection.Decode(Decode(_symbolsBytes, BlockFormat.SymbolsSection));
                if (RowData.RowCount > 0 && RowData.MaxStackId >= symbols.NodeCount)
                {
                    throw new BlockFormatException(
                        $"profiles section of dataset {Tenant}/{ServiceName} refers to stack {RowData.MaxStackId}, but there are only {symbols.NodeCount}");
                }

                symbols = Interlocked.CompareExchange(ref _symbols, symbols, null) ?? symbols;
            }

            return symbols;
        }
    }

    /// <summary>Rows of the selected series whose time is within [<paramref name="startMs"/>, <paramref name="endMs"/>] (Unix ms, inclusive), by series then time.</summary>
    public IEnumerable<ProfileRow> Rows(Func<LabelSet, bool>? seriesFilter = null, long startMs = long.MinValue, long endMs = long.MaxValue)
    {
        var selected = SelectSeries(seriesFilter);
        return RowsIterator(selected, startMs, endMs);
    }

    /// <summary>The total value of each selected profile row (a point of its series' time series), by series then time.</summary>
    public IEnumerable<SeriesPoint> SeriesTotals(Func<LabelSet, bool>? seriesFilter = null, long startMs = long.MinValue, long endMs = long.MaxValue)
    {
        var selected = SelectSeries(seriesFilter);
        return TotalsIterator(selected, startMs, endMs);
    }

    /// <summary>Which series pass the filter (all when it is null), by series index.</summary>
    public bool[] SelectSeries(Func<LabelSet, bool>? seriesFilter)
    {
        var selected = new bool[_series.Length];
        for (var i = 0; i < selected.Length; i++)
        {
            selected[i] = seriesFilter is null || seriesFilter(_series[i].Labels);
        }

        return selected;
    }

    /// <summary>The rows of one series within a time range (Unix ms, inclusive), as <c>[From, To)</c>.</summary>
    internal (int From, int To) RowRange(int series, long startMs, long endMs)
    {
        var rows = RowData;
        var from = rows.SeriesRowStart[series];
        var to = rows.SeriesRowStart[series + 1];
        if (startMs > endMs)
        {
            return (from, from);
        }

        return (LowerBound(rows.Timestamp, from, to, startMs), LowerBound(rows.Timestamp, from, to, endMs == long.MaxValue ? endMs : endMs + 1));
    }

    /// <summary>The first row in [from, to) whose millisecond time is at least <paramref name="ms"/>.</summary>
    private static int LowerBound(long[] timestamps, int from, int to, long ms)
    {
        if (ms == long.MaxValue)
        {
            return to;
        }

        while (from < to)
        {
            var mid = (from + to) >>> 1;
            if (BlockFormat.NanosToMillis(timestamps[mid]) < ms)
            {
                from = mid + 1;
            }
            else
            {
                to = mid;
            }
        }

        return from;
    }

    private IEnumerable<ProfileRow> RowsIterator(bool[] selected, long startMs, long endMs)
    {
        var rows = RowData;
        for (var s = 0; s < selected.Length; s++)
        {
            if (!selected[s])
            {
                continue;
            }

            var (from, to) = RowRange(s, startMs, endMs);
            for (var r = from; r < to; r++)
            {
                var start = rows.SampleStart[r];
                var count = rows.SampleStart[r + 1] - start;
                yield return new ProfileRow(
                    s,
                    rows.Timestamp[r],
                    rows.Period[r],
                    rows.Duration[r],
                    rows.StackIds.AsMemory(start, count),
                    rows.Values.AsMemory(start, count));
            }
        }
    }

    private IEnumerable<SeriesPoint> TotalsIterator(bool[] selected, long startMs, long endMs)
    {
        var rows = RowData;
        for (var s = 0; s < selected.Length; s++)
        {
            if (!selected[s])
            {
                continue;
            }

            var (from, to) = RowRange(s, startMs, endMs);
            for (var r = from; r < to; r++)
            {
                var total = SaturatingMath.Sum(rows.Values.AsSpan(rows.SampleStart[r], rows.SampleStart[r + 1] - rows.SampleStart[r]));

                yield return new SeriesPoint(s, rows.Timestamp[r], total);
            }
        }
    }

    private byte[] Decode(ReadOnlyMemory<byte> section, int index) =>
        SectionCodec.Decode(section, $"{BlockFormat.SectionNames[index]} (dataset {Tenant}/{ServiceName})", _maxSectionBytes);
}
