using Dapr.Profiler.Model;

namespace Dapr.Profiler.Block;

internal sealed partial class DatasetBuilder
{
    /// <summary>Copies the rows of the selected series of <paramref name="source"/>; returns the number of rows copied.</summary>
    public int CopyFrom(DatasetReader source, Func<LabelSet, bool>? seriesFilter)
    {
        var selected = source.SelectSeries(seriesFilter);
        var rows = source.RowData;
        var importer = new SymbolTableBuilder.SectionImporter(Symbols, source.Symbols);
        var series = source.Series;
        var copied = 0;
        for (var s = 0; s < series.Count; s++)
        {
            if (!selected[s])
            {
                continue;
            }

            var target = GetSeries(series[s].Labels, series[s].Type);
            for (var r = rows.SeriesRowStart[s]; r < rows.SeriesRowStart[s + 1]; r++)
            {
                var start = rows.SampleStart[r];
                var count = rows.SampleStart[r + 1] - start;
                EnsureSampleCapacity(count);
                var ids = PendingStackIds(count);
                var values = PendingValues(count);
                for (var i = 0; i < count; i++)
                {
                    ids[i] = importer.Node(rows.StackIds[start + i]);
                    values[i] = rows.Values[start + i];
                }

                AddRow(target, rows.Timestamp[r], rows.Period[r], rows.Duration[r], count);
                copied++;
            }
        }

        return copied;
    }
}
