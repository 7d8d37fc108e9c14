using System.Buffers;
using Dapr.Profiler.Model;
using Dapr.Profiler.Protos.Pprof;

namespace Dapr.Profiler.Block;

public sealed partial class DatasetReader
{
    /// <summary>
    /// A pprof profile of the selected series and time range (Unix ms, inclusive) with one sample type: one sample
    /// per distinct stack with the summed value. Ids are dense and only used symbols are included. The period is the
    /// first selected row's; time and duration span all selected rows.
    /// </summary>
    /// <exception cref="InvalidOperationException">The selected series have different profile types.</exception>
    /// <exception cref="BlockFormatException">The symbols section is corrupt.</exception>
    public Profile BuildPprof(Func<LabelSet, bool>? seriesFilter = null, long startMs = long.MinValue, long endMs = long.MaxValue)
    {
        var selected = SelectSeries(seriesFilter);
        ProfileTypeId? type = null;
        for (var s = 0; s < selected.Length; s++)
        {
            if (!selected[s])
            {
                continue;
            }

            if (type is null)
            {
                type = _series[s].Type;
            }
            else if (type != _series[s].Type)
            {
                throw new InvalidOperationException(
                    $"the selected series have different profile types ({type} and {_series[s].Type}); select one profile type for a pprof");
            }
        }

        var profile = new Profile();
        profile.StringTable.Add(string.Empty);
        if (type is null)
        {
            return profile;
        }

        var symbols = Symbols;
        var totals = AggregateStacks(selected, startMs, endMs, symbols.NodeCount, out var firstRow);
        try
        {
            var builder = new PprofBuilder(symbols, profile);
            profile.SampleType.Add(new Dapr.Profiler.Protos.Pprof.ValueType { Type = builder.String(type.SampleType), Unit = builder.String(type.SampleUnit) });
            profile.PeriodType = new Dapr.Profiler.Protos.Pprof.ValueType { Type = builder.String(type.PeriodType), Unit = builder.String(type.PeriodUnit) };
            SetTimes(profile, selected, startMs, endMs, firstRow);
            var locations = new List<int>();
            for (var node = 0; node < symbols.NodeCount; node++)
            {
                var value = totals[node];
                if (value == 0)
                {
                    continue;
                }

                StackLocations(symbols, node, locations);
                var sample = new Sample();
                foreach (var location in locations)
                {
                    sample.LocationId.Add(builder.Location(location));
                }

                sample.Value.Add(value);
                profile.Sample.Add(sample);
            }
        }
        finally
        {
            ArrayPool<long>.Shared.Return(totals);
        }

        return profile;
    }

    private void SetTimes(Profile profile, bool[] selected, long startMs, long endMs, int firstRow)
    {
        if (firstRow < 0)
        {
            return;
        }

        var rows = RowData;
        profile.Period = rows.Period[firstRow];
        var min = long.MaxValue;
        var max = long.MinValue;
        for (var s = 0; s < selected.Length; s++)
        {
            if (!selected[s])
            {
                continue;
            }

            var (from, to) = RowRange(s, startMs, endMs);
            for (var r = from; r < to; r++)
            {
                min = Math.Min(min, rows.Timestamp[r]);
                max = Math.Max(max, rows.Timestamp[r] + Math.Max(rows.Duration[r], 0));
            }
        }

        profile.TimeNanos = min;
        profile.DurationNanos = max - min;
    }

    /// <summary>Copies the symbols a pprof needs from the dataset, giving each a dense id on first use.</summary>
    private sealed class PprofBuilder
    {
        private readonly SymbolsSection _symbols;
        private readonly Profile _profile;
        private readonly int[] _strings;
        private readonly ulong[] _mappings;
        private readonly ulong[] _functions;
        private readonly ulong[] _locations;
        private readonly Dictionary<string, long> _extraStrings = new(StringComparer.Ordinal);

        public PprofBuilder(SymbolsSection symbols, Profile profile)
        {
            _symbols = symbols;
            _profile = profile;
            _strings = new int[symbols.StringCount];
            _mappings = new ulong[symbols.Mappings.Length];
            _functions = new ulong[symbols.Functions.Length];
            _locations = new ulong[symbols.Locations.Length];
        }

        /// <summary>The index of a string that may not be in the dataset (profile type names).</summary>
        public long String(string value)
        {
            if (value.Length == 0)
            {
                return 0;
            }

            if (!_extraStrings.TryGetValue(value, out var index))
            {
                index = _profile.StringTable.Count;
                _profile.StringTable.Add(value);
                _extraStrings.Add(value, index);
            }

            return index;
        }

        public ulong Location(int index)
        {
            if (_locations[index] != 0)
            {
                return _locations[index];
            }

            var key = _symbols.Locations[index];
            var location = new Location
            {
                Id = (ulong)_profile.Location.Count + 1,
                MappingId = key.Mapping == 0 ? 0 : Mapping(key.Mapping - 1),
                Address = key.Address,
                IsFolded = (key.Flags & LocationKey.IsFolded) != 0,
            };
            foreach (var line in _symbols.LinesOf(key))
            {
                location.Line.Add(new Line { FunctionId = Function(line.Function), Line_ = line.Line, Column = line.Column });
            }

            _profile.Location.Add(location);
            return _locations[index] = location.Id;
        }

        private ulong Mapping(int index)
        {
            if (_mappings[index] == 0)
            {
                var m = _symbols.Mappings[index];
                var mapping = new Mapping
                {
                    Id = (ulong)_profile.Mapping.Count + 1,
                    MemoryStart = m.MemoryStart,
                    MemoryLimit = m.MemoryLimit,
                    FileOffset = m.FileOffset,
                    Filename = DatasetString(m.Filename),
                    BuildId = DatasetString(m.BuildId),
                    HasFunctions = (m.Flags & MappingKey.HasFunctions) != 0,
                    HasFilenames = (m.Flags & MappingKey.HasFilenames) != 0,
                    HasLineNumbers = (m.Flags & MappingKey.HasLineNumbers) != 0,
                    HasInlineFrames = (m.Flags & MappingKey.HasInlineFrames) != 0,
                };
                _profile.Mapping.Add(mapping);
                _mappings[index] = mapping.Id;
            }

            return _mappings[index];
        }

        private ulong Function(int index)
        {
            if (_functions[index] == 0)
            {
                var f = _symbols.Functions[index];
                var function = new Function
                {
                    Id = (ulong)_profile.Function.Count + 1,
                    Name = DatasetString(f.Name),
                    SystemName = DatasetString(f.SystemName),
                    Filename = DatasetString(f.Filename),
                    StartLine = f.StartLine,
                };
                _profile.Function.Add(function);
                _functions[index] = function.Id;
            }

            return _functions[index];
        }

        private long DatasetString(int index)
        {
            if (index == 0)
            {
                return 0;
            }

            if (_strings[index] == 0)
            {
                _strings[index] = (int)String(_symbols.GetString(index));
            }

            return _strings[index];
        }
    }
}
