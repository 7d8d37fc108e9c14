using Dapr.Profiler.Model;

namespace Dapr.Profiler.Block;

/// <summary>One series of a dataset: its index in the series index, labels and profile type.</summary>
public readonly record struct DatasetSeries(int Index, LabelSet Labels, ProfileTypeId Type);

/// <summary>
/// One profile of one series: when it was taken, its sampling period and duration, and its samples as stack ids
/// (nodes of the dataset's stack tree, ascending) with their values. The memory stays valid as long as the reader.
/// </summary>
public readonly record struct ProfileRow(
    int SeriesIndex,
    long TimestampNanos,
    long Period,
    long DurationNanos,
    ReadOnlyMemory<int> StackIds,
    ReadOnlyMemory<long> Values);

/// <summary>The sum of one profile's values: one point of a series' time series.</summary>
public readonly record struct SeriesPoint(int SeriesIndex, long TimestampNanos, long Total);
