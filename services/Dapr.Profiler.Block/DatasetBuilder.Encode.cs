using Dapr.Profiler.Model;
using Dapr.Profiler.Protos.Block;

namespace Dapr.Profiler.Block;

internal sealed partial class DatasetBuilder
{
    /// <summary>
    /// Writes the dataset's three sections to <paramref name="output"/> at <paramref name="offset"/> and returns its
    /// metadata. <paramref name="raw"/> and <paramref name="stored"/> are scratch buffers reused across datasets.
    /// </summary>
    public Dataset WriteTo(Stream output, long offset, BlockWriterOptions options, MetaStringTable strings, ByteSink raw, ByteSink stored)
    {
        var order = SeriesOrder(out var rank);
        var rows = SortedRows(rank, options.DropDuplicateRows, out var sampleCount);
        var dataset = new Dataset
        {
            Tenant = strings.Add(Tenant),
            Name = strings.Add(Service),
            MinTime = BlockFormat.NanosToMillis(MinTimestamp),
            MaxTime = BlockFormat.NanosToMillis(MaxTimestamp),
            Offset = (ulong)offset,
            ProfileCount = (uint)rows.Length,
            SeriesCount = (uint)order.Length,
            SampleCount = (ulong)sampleCount,
        };

        long size = 0;
        for (var section = 0; section < BlockFormat.SectionCount; section++)
        {
            raw.Clear();
            switch (section)
            {
                case BlockFormat.SeriesSection:
                    SeriesSection.Encode(_seriesLabels, _seriesTypes, order, raw);
                    break;
                case BlockFormat.ProfilesSection:
                    RowsSection.Encode(rows, _stackIds, _values, raw);
                    break;
                default:
                    Symbols.Encode(raw);
                    break;
            }

            stored.Clear();
            SectionCodec.Encode(raw.WrittenSpan, options.Compression, options.CompressionLevel, stored);
            output.Write(stored.WrittenSpan);
            dataset.SectionSizes.Add((uint)stored.Length);
            dataset.SectionCrc32C.Add(Crc32C.Compute(stored.WrittenSpan));
            size += stored.Length;
        }

        dataset.Size = (ulong)size;
        AddMetaLabels(dataset, strings, options.MaxMetaLabelValues);
        return dataset;
    }

    /// <summary>Series indexes in label order; <paramref name="rank"/> maps a series index to its position.</summary>
    private int[] SeriesOrder(out int[] rank)
    {
        var order = new int[_seriesLabels.Count];
        for (var i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        var labels = _seriesLabels;
        var types = _seriesTypes;
        Array.Sort(order, (a, b) =>
        {
            var c = LabelSet.Compare(labels[a], labels[b]);
            return c != 0 ? c : string.CompareOrdinal(types[a].Id, types[b].Id);
        });
        rank = new int[order.Length];
        for (var i = 0; i < order.Length; i++)
        {
            rank[order[i]] = i;
        }

        return order;
    }

    /// <summary>Rows sorted by series position, then timestamp, then insertion; the series field becomes the position.</summary>
    private RowEntry[] SortedRows(int[] rank, bool dropDuplicates, out long sampleCount)
    {
        var keys = new RowSortKey[_rowCount];
        for (var i = 0; i < keys.Length; i++)
        {
            keys[i] = new RowSortKey(rank[_rows[i].Series], _rows[i].Timestamp, i);
        }

        Array.Sort(keys);
        var rows = new RowEntry[keys.Length];
        var count = 0;
        sampleCount = 0;
        for (var i = 0; i < keys.Length; i++)
        {
            if (dropDuplicates && IsDuplicate(rows, count, keys[i]))
            {
                // An at-least-once redelivery of the same profile; two different profiles of one series that share
                // a timestamp (two pods of one service in the same second) are both kept.
                continue;
            }

            rows[count] = _rows[keys[i].Index] with { Series = keys[i].Series };
            sampleCount += rows[count].SampleCount;
            count++;
        }

        return count == rows.Length ? rows : rows[..count];
    }

    /// <summary>Whether a kept row of the same series and timestamp has exactly the same samples.</summary>
    private bool IsDuplicate(RowEntry[] kept, int count, RowSortKey key)
    {
        var candidate = _rows[key.Index];
        for (var j = count - 1; j >= 0 && kept[j].Series == key.Series && kept[j].Timestamp == key.Timestamp; j--)
        {
            if (SameSamples(kept[j], candidate))
            {
                return true;
            }
        }

        return false;
    }

    private bool SameSamples(RowEntry a, RowEntry b) =>
        a.SampleCount == b.SampleCount
        && _stackIds.AsSpan(a.SampleStart, a.SampleCount).SequenceEqual(_stackIds.AsSpan(b.SampleStart, b.SampleCount))
        && _values.AsSpan(a.SampleStart, a.SampleCount).SequenceEqual(_values.AsSpan(b.SampleStart, b.SampleCount));

    private void AddMetaLabels(Dataset dataset, MetaStringTable strings, int maxValues)
    {
        var serviceName = strings.Add(LabelNames.ServiceName);
        var profileTypeName = strings.Add(LabelNames.ProfileType);
        var service = strings.Add(Service);
        var typeIds = new SortedSet<string>(StringComparer.Ordinal);
        var values = new SortedDictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        for (var s = 0; s < _seriesLabels.Count; s++)
        {
            typeIds.Add(_seriesTypes[s].Id);
            foreach (var label in _seriesLabels[s])
            {
                if (label.Name is LabelNames.ServiceName or LabelNames.ProfileType)
                {
                    continue;
                }

                if (!values.TryGetValue(label.Name, out var set))
                {
                    set = new SortedSet<string>(StringComparer.Ordinal);
                    values.Add(label.Name, set);
                }

                if (set.Count <= maxValues)
                {
                    set.Add(label.Value);
                }
            }
        }

        foreach (var typeId in typeIds)
        {
            dataset.Labels.Add([2, profileTypeName, strings.Add(typeId), serviceName, service]);
        }

        foreach (var (name, set) in values)
        {
            dataset.LabelValues.Add(strings.Add(name));
            if (set.Count > maxValues)
            {
                dataset.LabelValues.Add(0);
                continue;
            }

            dataset.LabelValues.Add(set.Count);
            foreach (var value in set)
            {
                dataset.LabelValues.Add(strings.Add(value));
            }
        }
    }

    private readonly record struct RowSortKey(int Series, long Timestamp, int Index) : IComparable<RowSortKey>
    {
        public int CompareTo(RowSortKey other)
        {
            var c = Series.CompareTo(other.Series);
            if (c == 0)
            {
                c = Timestamp.CompareTo(other.Timestamp);
            }

            return c != 0 ? c : Index.CompareTo(other.Index);
        }
    }
}
