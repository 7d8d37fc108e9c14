using System.Runtime.InteropServices;
using Dapr.Profiler.Protos.Pprof;
using ValueType = Dapr.Profiler.Protos.Pprof.ValueType;

namespace Dapr.Profiler.Model;

/// <summary>
/// Merges one value column of many normalised profiles (see <see cref="PprofDecoder"/>) into a single pprof with one
/// sample type.
/// </summary>
/// <remarks>
/// Strings, mappings (filename, build id, memory start and limit, file offset), functions (name, system name,
/// filename, start line) and locations (mapping, address, lines) are deduplicated, and samples with the same
/// location stack are summed. Samples whose value is zero or negative are dropped (as <see cref="StackTree"/> drops
/// them, so <c>StackTree.FromProfile(merged, 0)</c> equals the merge of the inputs' trees). Labels are dropped.
/// period_type and period come from the first input; time_nanos is the earliest start and duration_nanos reaches the
/// latest end, ignoring inputs without a time. Output ids are dense from 1, in order of first use.
/// </remarks>
public sealed class PprofMerger
{
    private readonly List<string> _strings = [string.Empty];
    private readonly Dictionary<string, long> _stringIds = new(StringComparer.Ordinal) { [string.Empty] = 0 };
    private readonly Dictionary<MappingKey, ulong> _mappings = [];
    private readonly Dictionary<FunctionKey, ulong> _functions = [];
    private readonly Dictionary<ulong[], ulong> _locations = new(UInt64SequenceComparer.Instance);
    private readonly Dictionary<ulong[], int> _stacks = new(UInt64SequenceComparer.Instance);
    private readonly Profile _result = new();
    private ulong[] _scratch = new ulong[64];
    private ulong[] _stack = new ulong[64];
    private string? _sampleTypeName;
    private string? _sampleUnit;
    private long _start = long.MaxValue;
    private long _end = long.MinValue;
    private bool _built;

    /// <summary>The number of distinct stacks merged so far.</summary>
    public int SampleCount => _result.Sample.Count;

    /// <summary>Adds column <paramref name="valueIndex"/> of <paramref name="profile"/>.</summary>
    /// <exception cref="ArgumentException">The column's type or unit differs from the first input's, or a reference is out of range.</exception>
    public void Add(Profile profile, int valueIndex)
    {
        ArgumentNullException.ThrowIfNull(profile);
        ObjectDisposedException.ThrowIf(_built, this);
        ArgumentOutOfRangeException.ThrowIfNegative(valueIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(valueIndex, profile.SampleType.Count);
        var input = new Input(profile);
        var sampleType = profile.SampleType[valueIndex];
        var typeName = input.String(sampleType.Type);
        var unit = input.String(sampleType.Unit);
        if (_sampleTypeName is null)
        {
            _sampleTypeName = typeName;
            _sampleUnit = unit;
            _result.SampleType.Add(new ValueType { Type = Intern(typeName), Unit = Intern(unit) });
            if (profile.PeriodType is { } periodType)
            {
                _result.PeriodType = new ValueType { Type = Intern(input.String(periodType.Type)), Unit = Intern(input.String(periodType.Unit)) };
            }

            _result.Period = profile.Period;
        }
        else if (!string.Equals(typeName, _sampleTypeName, StringComparison.Ordinal) || !string.Equals(unit, _sampleUnit, StringComparison.Ordinal))
        {
            throw new ArgumentException(
                $"cannot merge sample type {typeName}/{unit} into {_sampleTypeName}/{_sampleUnit}", nameof(profile));
        }

        if (profile.TimeNanos != 0)
        {
            _start = Math.Min(_start, profile.TimeNanos);
            _end = Math.Max(_end, SaturatingMath.Add(profile.TimeNanos, profile.DurationNanos));
        }

        var stacks = _stacks.GetAlternateLookup<ReadOnlySpan<ulong>>();
        foreach (var sample in profile.Sample)
        {
            if (valueIndex >= sample.Value.Count)
            {
                throw new ArgumentException($"a sample has {sample.Value.Count} values; value index {valueIndex} is out of range", nameof(profile));
            }

            var value = sample.Value[valueIndex];
            if (value <= 0)
            {
                continue;
            }

            var ids = sample.LocationId;
            if (_stack.Length < ids.Count)
            {
                _stack = new ulong[Math.Max(ids.Count, _stack.Length * 2)];
            }

            var stack = _stack.AsSpan(0, ids.Count);
            for (var i = 0; i < stack.Length; i++)
            {
                stack[i] = Location(input, ids[i]);
            }

            if (stacks.TryGetValue(stack, out var index))
            {
                _result.Sample[index].Value[0] = SaturatingMath.Add(_result.Sample[index].Value[0], value);
            }
            else
            {
                stacks[stack] = _result.Sample.Count;
                _result.Sample.Add(new Sample { LocationId = { stack.ToArray() }, Value = { value } });
            }
        }
    }

    /// <summary>Returns the merged profile. The merger cannot be used afterwards.</summary>
    public Profile Build()
    {
        ObjectDisposedException.ThrowIf(_built, this);
        _built = true;
        if (_sampleTypeName is null)
        {
            // Nothing was added: Pyroscope answers with a stub sample type and period type.
            _result.SampleType.Add(new ValueType());
            _result.PeriodType = new ValueType();
        }

        if (_start != long.MaxValue)
        {
            _result.TimeNanos = _start;
            _result.DurationNanos = _end - _start;
        }

        _result.StringTable.AddRange(_strings);
        ProfileCanonicalizer.Canonicalize(_result);
        return _result;
    }

    private ulong Location(Input input, ulong id)
    {
        var profile = input.Profile;
        if (id == 0 || id > (ulong)profile.Location.Count)
        {
            throw new ArgumentException($"location id {id} is out of range; the profile must be normalised", nameof(input));
        }

        var index = (int)(id - 1);
        if (input.Locations[index] != 0)
        {
            return input.Locations[index];
        }

        var location = profile.Location[index];
        var keyLength = 2 + (3 * location.Line.Count);
        if (_scratch.Length < keyLength)
        {
            _scratch = new ulong[Math.Max(keyLength, _scratch.Length * 2)];
        }

        var key = _scratch.AsSpan(0, keyLength);
        key[0] = location.MappingId == 0 ? 0 : Mapping(input, location.MappingId);
        key[1] = location.Address;
        for (var i = 0; i < location.Line.Count; i++)
        {
            var line = location.Line[i];
            key[2 + (3 * i)] = Function(input, line.FunctionId);
            key[3 + (3 * i)] = (ulong)line.Line_;
            key[4 + (3 * i)] = (ulong)line.Column;
        }

        var lookup = _locations.GetAlternateLookup<ReadOnlySpan<ulong>>();
        if (!lookup.TryGetValue(key, out var merged))
        {
            merged = (ulong)_result.Location.Count + 1;
            var copy = new Location { Id = merged, MappingId = key[0], Address = location.Address, IsFolded = location.IsFolded };
            for (var i = 0; i < location.Line.Count; i++)
            {
                copy.Line.Add(new Line { FunctionId = key[2 + (3 * i)], Line_ = location.Line[i].Line_, Column = location.Line[i].Column });
            }

            _result.Location.Add(copy);
            lookup[key] = merged;
        }

        input.Locations[index] = merged;
        return merged;
    }

    private ulong Mapping(Input input, ulong id)
    {
        if (id > (ulong)input.Mappings.Length)
        {
            throw new ArgumentException($"mapping id {id} is out of range; the profile must be normalised", nameof(input));
        }

        var index = (int)(id - 1);
        if (input.Mappings[index] != 0)
        {
            return input.Mappings[index];
        }

        var mapping = input.Profile.Mapping[index];
        var key = new MappingKey(
            Intern(input.String(mapping.Filename)), Intern(input.String(mapping.BuildId)), mapping.MemoryStart, mapping.MemoryLimit, mapping.FileOffset);
        ref var merged = ref CollectionsMarshal.GetValueRefOrAddDefault(_mappings, key, out var exists);
        if (!exists)
        {
            merged = (ulong)_result.Mapping.Count + 1;
            var copy = mapping.Clone();
            copy.Id = merged;
            copy.Filename = key.Filename;
            copy.BuildId = key.BuildId;
            _result.Mapping.Add(copy);
        }

        input.Mappings[index] = merged;
        return merged;
    }

    private ulong Function(Input input, ulong id)
    {
        if (id == 0 || id > (ulong)input.Functions.Length)
        {
            throw new ArgumentException($"function id {id} is out of range; the profile must be normalised", nameof(input));
        }

        var index = (int)(id - 1);
        if (input.Functions[index] != 0)
        {
            return input.Functions[index];
        }

        var function = input.Profile.Function[index];
        var key = new FunctionKey(
            Intern(input.String(function.Name)), Intern(input.String(function.SystemName)), Intern(input.String(function.Filename)), function.StartLine);
        ref var merged = ref CollectionsMarshal.GetValueRefOrAddDefault(_functions, key, out var exists);
        if (!exists)
        {
            merged = (ulong)_result.Function.Count + 1;
            _result.Function.Add(new Function
            {
                Id = merged, Name = key.Name, SystemName = key.SystemName, Filename = key.Filename, StartLine = key.StartLine,
            });
        }

        input.Functions[index] = merged;
        return merged;
    }

    private long Intern(string value)
    {
        ref var id = ref CollectionsMarshal.GetValueRefOrAddDefault(_stringIds, value, out var exists);
        if (!exists)
        {
            id = _strings.Count;
            _strings.Add(value);
        }

        return id;
    }

    /// <summary>One input profile and the merged ids of its mappings, functions and locations (0 = not yet merged).</summary>
    private sealed class Input(Profile profile)
    {
        public Profile Profile { get; } = profile;

        public ulong[] Mappings { get; } = new ulong[profile.Mapping.Count];

        public ulong[] Functions { get; } = new ulong[profile.Function.Count];

        public ulong[] Locations { get; } = new ulong[profile.Location.Count];

        public string String(long index) => (ulong)index < (ulong)Profile.StringTable.Count
            ? Profile.StringTable[(int)index]
            : throw new ArgumentException($"string index {index} is out of range", nameof(index));
    }

    private readonly record struct MappingKey(long Filename, long BuildId, ulong MemoryStart, ulong MemoryLimit, ulong FileOffset);

    private readonly record struct FunctionKey(long Name, long SystemName, long Filename, long StartLine);
}
