using System.Globalization;
using Dapr.Profiler.Protos.Pprof;

namespace Dapr.Profiler.Model;

public sealed partial class StackTree
{
    /// <summary>The frame name used when a function has neither a name nor a system name.</summary>
    public const string UnknownFunctionName = "<unknown>";

    /// <summary>
    /// Builds the call tree of one value column of a normalised profile (see <see cref="PprofDecoder"/>: dense ids,
    /// <c>string_table[0] == ""</c>).
    /// </summary>
    /// <remarks>
    /// A sample's stack is its locations from last to first (root to leaf); a location contributes its lines from last
    /// to first (outer caller, then inlined callees). A frame is the function's name, else its system name, else
    /// <see cref="UnknownFunctionName"/>; a location without lines is one frame named by its address (<c>0x1a2b</c>).
    /// Samples whose value is zero or negative add nothing. Each location is resolved once.
    /// </remarks>
    /// <exception cref="ArgumentException">The profile is not normalised or a reference is out of range.</exception>
    public static StackTree FromProfile(Profile profile, int valueIndex)
    {
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentOutOfRangeException.ThrowIfNegative(valueIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(valueIndex, Math.Max(profile.SampleType.Count, 1));

        var tree = new StackTree(Math.Max(64, profile.Location.Count * 2));
        var frames = new ProfileFrames(profile, tree);
        var path = new int[64];
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

            var length = 0;
            var locations = sample.LocationId;
            for (var i = locations.Count - 1; i >= 0; i--)
            {
                var locationFrames = frames.Of(locations[i]);
                if (length + locationFrames.Length > path.Length)
                {
                    Array.Resize(ref path, Math.Max(path.Length * 2, length + locationFrames.Length));
                }

                locationFrames.CopyTo(path.AsSpan(length));
                length += locationFrames.Length;
            }

            tree.Add(path.AsSpan(0, length), value);
        }

        return tree;
    }

    /// <summary>Resolves locations of one profile to interned frame names, caching every location and function.</summary>
    private sealed class ProfileFrames
    {
        private readonly Profile _profile;
        private readonly StackTree _tree;
        private readonly int[] _functionNames;
        private readonly int[] _stringNames;
        private readonly int[] _locationStart;
        private readonly int[] _locationLength;
        private int[] _frames;
        private int _frameCount;

        public ProfileFrames(Profile profile, StackTree tree)
        {
            _profile = profile;
            _tree = tree;
            _functionNames = Filled(profile.Function.Count);
            _stringNames = Filled(profile.StringTable.Count);
            _locationStart = Filled(profile.Location.Count);
            _locationLength = new int[profile.Location.Count];
            _frames = new int[Math.Max(16, profile.Location.Count * 2)];
        }

        /// <summary>The frames of a location, root-most first.</summary>
        public ReadOnlySpan<int> Of(ulong locationId)
        {
            if (locationId == 0 || locationId > (ulong)_locationStart.Length)
            {
                throw new ArgumentException($"location id {locationId} is out of range; the profile must be normalised", nameof(locationId));
            }

            var index = (int)(locationId - 1);
            if (_locationStart[index] < 0)
            {
                Resolve(index);
            }

            return _frames.AsSpan(_locationStart[index], _locationLength[index]);
        }

        private void Resolve(int index)
        {
            var location = _profile.Location[index];
            var count = Math.Max(location.Line.Count, 1);
            if (_frameCount + count > _frames.Length)
            {
                Array.Resize(ref _frames, Math.Max(_frames.Length * 2, _frameCount + count));
            }

            var start = _frameCount;
            if (location.Line.Count == 0)
            {
                _frames[_frameCount++] = _tree.InternName(string.Create(CultureInfo.InvariantCulture, $"0x{location.Address:x}"));
            }
            else
            {
                for (var i = location.Line.Count - 1; i >= 0; i--)
                {
                    _frames[_frameCount++] = FunctionName(location.Line[i].FunctionId);
                }
            }

            _locationStart[index] = start;
            _locationLength[index] = count;
        }

        private int FunctionName(ulong functionId)
        {
            if (functionId == 0 || functionId > (ulong)_functionNames.Length)
            {
                throw new ArgumentException($"function id {functionId} is out of range; the profile must be normalised", nameof(functionId));
            }

            var index = (int)(functionId - 1);
            if (_functionNames[index] >= 0)
            {
                return _functionNames[index];
            }

            var function = _profile.Function[index];
            int name;
            if (StringAt(function.Name).Length > 0)
            {
                name = Intern(function.Name);
            }
            else if (StringAt(function.SystemName).Length > 0)
            {
                name = Intern(function.SystemName);
            }
            else
            {
                name = _tree.InternName(UnknownFunctionName);
            }

            _functionNames[index] = name;
            return name;
        }

        private string StringAt(long index)
        {
            if ((ulong)index >= (ulong)_stringNames.Length)
            {
                throw new ArgumentException($"string index {index} is out of range", nameof(index));
            }

            return _profile.StringTable[(int)index];
        }

        private int Intern(long stringIndex)
        {
            ref var slot = ref _stringNames[(int)stringIndex];
            if (slot < 0)
            {
                slot = _tree.InternName(_profile.StringTable[(int)stringIndex]);
            }

            return slot;
        }

        private static int[] Filled(int length)
        {
            var array = new int[length];
            Array.Fill(array, -1);
            return array;
        }
    }
}
