namespace Dapr.Profiler.Block;

/// <summary>One profile row while a dataset is being written; its samples are a range of the builder's arrays.</summary>
internal record struct RowEntry(int Series, long Timestamp, long Period, long Duration, int SampleStart, int SampleCount);

/// <summary>
/// The decoded profiles section: rows sorted by series, then timestamp, as columns; the samples of row r are
/// <c>[SampleStart[r], SampleStart[r + 1])</c> of <see cref="StackIds"/> and <see cref="Values"/>.
/// </summary>
internal sealed class RowsSection
{
    private const string Name = "profiles";

    private RowsSection(int rowCount, int seriesCount)
    {
        Series = new int[rowCount];
        Timestamp = new long[rowCount];
        Period = new long[rowCount];
        Duration = new long[rowCount];
        SampleStart = new int[rowCount + 1];
        SeriesRowStart = new int[seriesCount + 1];
        StackIds = [];
        Values = [];
    }

    public int RowCount => Series.Length;

    public int[] Series { get; }

    public long[] Timestamp { get; }

    public long[] Period { get; }

    public long[] Duration { get; }

    public int[] SampleStart { get; }

    /// <summary>The rows of series s are <c>[SeriesRowStart[s], SeriesRowStart[s + 1])</c>.</summary>
    public int[] SeriesRowStart { get; }

    public int[] StackIds { get; private set; }

    public long[] Values { get; private set; }

    /// <summary>The largest stack id used (checked against the symbols when they are decoded).</summary>
    public int MaxStackId { get; private set; }

    /// <summary>Writes rows (already sorted, <see cref="RowEntry.Series"/> being the final series index) as columns.</summary>
    public static void Encode(ReadOnlySpan<RowEntry> rows, int[] stackIds, long[] values, ByteSink output)
    {
        output.WriteVarint(rows.Length);
        var previousSeries = 0;
        foreach (ref readonly var row in rows)
        {
            output.WriteVarint(row.Series - previousSeries);
            previousSeries = row.Series;
        }

        long previous = 0;
        foreach (ref readonly var row in rows)
        {
            output.WriteZigZag(unchecked(row.Timestamp - previous));
            previous = row.Timestamp;
        }

        previous = 0;
        foreach (ref readonly var row in rows)
        {
            output.WriteZigZag(unchecked(row.Period - previous));
            previous = row.Period;
        }

        previous = 0;
        foreach (ref readonly var row in rows)
        {
            output.WriteZigZag(unchecked(row.Duration - previous));
            previous = row.Duration;
        }

        foreach (ref readonly var row in rows)
        {
            output.WriteVarint(row.SampleCount);
        }

        foreach (ref readonly var row in rows)
        {
            var last = 0;
            foreach (var id in stackIds.AsSpan(row.SampleStart, row.SampleCount))
            {
                output.WriteVarint(id - last);
                last = id;
            }
        }

        foreach (ref readonly var row in rows)
        {
            foreach (var value in values.AsSpan(row.SampleStart, row.SampleCount))
            {
                output.WriteZigZag(value);
            }
        }
    }

    public static RowsSection Decode(ReadOnlySpan<byte> raw, int seriesCount)
    {
        var source = new ByteSource(raw, Name);
        var rowCount = source.ReadCount(5, "profile rows");
        var section = new RowsSection(rowCount, seriesCount);
        var series = 0L;
        for (var r = 0; r < rowCount; r++)
        {
            series += (long)Math.Min(source.ReadVarint(), int.MaxValue);
            if (series >= seriesCount)
            {
                throw source.Error($"has row {r} of series {series}, but there are only {seriesCount} series");
            }

            section.Series[r] = (int)series;
        }

        var timestamp = 0L;
        for (var r = 0; r < rowCount; r++)
        {
            var next = unchecked(timestamp + source.ReadZigZag());
            if (r > 0 && section.Series[r] == section.Series[r - 1] && next < timestamp)
            {
                throw source.Error($"has row {r} out of timestamp order");
            }

            section.Timestamp[r] = timestamp = next;
        }

        DecodeDeltas(ref source, section.Period);
        DecodeDeltas(ref source, section.Duration);
        long total = 0;
        for (var r = 0; r < rowCount; r++)
        {
            total += (long)Math.Min(source.ReadVarint(), int.MaxValue);
            if (total > source.Remaining / 2)
            {
                throw source.Error($"declares {total} samples, more than its remaining {source.Remaining} bytes can hold");
            }

            section.SampleStart[r + 1] = (int)total;
        }

        var stackIds = new int[total];
        var maxStackId = 0L;
        for (var r = 0; r < rowCount; r++)
        {
            long last = 0;
            for (var i = section.SampleStart[r]; i < section.SampleStart[r + 1]; i++)
            {
                last += (long)Math.Min(source.ReadVarint(), int.MaxValue);
                if (last > int.MaxValue)
                {
                    throw source.Error($"has stack id {last} out of range");
                }

                stackIds[i] = (int)last;
            }

            maxStackId = Math.Max(maxStackId, last);
        }

        var values = new long[total];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = source.ReadZigZag();
        }

        source.ExpectEnd();
        section.StackIds = stackIds;
        section.Values = values;
        section.MaxStackId = (int)maxStackId;
        var row = 0;
        for (var s = 0; s < seriesCount; s++)
        {
            section.SeriesRowStart[s] = row;
            while (row < rowCount && section.Series[row] == s)
            {
                row++;
            }
        }

        section.SeriesRowStart[seriesCount] = rowCount;
        return section;
    }

    private static void DecodeDeltas(ref ByteSource source, long[] column)
    {
        var previous = 0L;
        for (var r = 0; r < column.Length; r++)
        {
            previous = unchecked(previous + source.ReadZigZag());
            column[r] = previous;
        }
    }
}
