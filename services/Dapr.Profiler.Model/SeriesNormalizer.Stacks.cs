using Dapr.Profiler.Protos.Pprof;
using Google.Protobuf.Collections;

namespace Dapr.Profiler.Model;

/// <summary>
/// The stack limits. A frame is one line of a location (a location without lines is one frame), so depth is
/// counted as a query expands it. Stacks deeper than <see cref="NormalizationOptions.MaxStackDepth"/> keep their
/// root side and end in one <see cref="TruncatedFramesName"/> frame, as Pyroscope truncates them, so a flame graph
/// keeps its shape.
/// </summary>
public sealed partial class SeriesNormalizer
{
    /// <summary>The function name of the frame that stands for the leaf-side frames cut from a deep stack.</summary>
    public const string TruncatedFramesName = "other";

    /// <exception cref="ProfileTooLargeException">A location has more lines than <see cref="NormalizationOptions.MaxLinesPerLocation"/>.</exception>
    private void CheckLinesPerLocation(Profile profile)
    {
        var max = Options.MaxLinesPerLocation;
        foreach (var location in profile.Location)
        {
            if (location.Line.Count > max)
            {
                throw new ProfileTooLargeException(
                    nameof(NormalizationOptions.MaxLinesPerLocation),
                    max,
                    $"location {location.Id} has {location.Line.Count} lines (inlined frames); the limit is {max} ({nameof(NormalizationOptions.MaxLinesPerLocation)})");
            }
        }
    }

    /// <summary>
    /// Truncates deep stacks and counts the frames of the profile. Each sample costs at most
    /// <see cref="NormalizationOptions.MaxStackDepth"/> steps, however many locations it references, because every
    /// location adds at least one frame.
    /// </summary>
    /// <exception cref="ProfileTooLargeException">More frames than <see cref="NormalizationOptions.MaxFramesPerProfile"/>.</exception>
    private void BoundStacks(Profile profile)
    {
        var maxDepth = Options.MaxStackDepth;
        var maxFrames = Options.MaxFramesPerProfile;
        StackCuts? cuts = null;
        long frames = 0;
        foreach (var sample in profile.Sample)
        {
            var ids = sample.LocationId;
            var (kept, depth) = RootSide(profile, ids, maxDepth);
            if (kept < ids.Count)
            {
                cuts ??= new StackCuts(profile);
                Truncate(profile, ids, maxDepth - 1, cuts);
                depth = maxDepth;
            }

            frames += depth;
            if (frames > maxFrames)
            {
                throw new ProfileTooLargeException(
                    nameof(NormalizationOptions.MaxFramesPerProfile),
                    maxFrames,
                    $"profile has more than {maxFrames} frames over its samples (lines of each stack after truncation to {maxDepth}); " +
                    $"the limit is {maxFrames} ({nameof(NormalizationOptions.MaxFramesPerProfile)})");
            }
        }
    }

    /// <summary>Replaces a stack by its root-side <paramref name="keep"/> frames and the marker frame at the leaf.</summary>
    private static void Truncate(Profile profile, RepeatedField<ulong> ids, int keep, StackCuts cuts)
    {
        var (whole, frames) = RootSide(profile, ids, keep);
        var rest = keep - frames;
        var result = new ulong[whole + (rest > 0 ? 2 : 1)];
        var at = 0;
        result[at++] = cuts.Marker();
        if (rest > 0)
        {
            // The cut falls inside this location: keep its root-side lines only.
            result[at++] = cuts.RootLines(ids[ids.Count - 1 - whole], rest);
        }

        for (var i = ids.Count - whole; i < ids.Count; i++)
        {
            result[at++] = ids[i];
        }

        ids.Clear();
        ids.AddRange(result);
    }

    /// <summary>
    /// How many whole locations, from the root, fit in <paramref name="limit"/> frames, and how many frames they have.
    /// Stops at the first location that does not fit.
    /// </summary>
    private static (int Locations, int Frames) RootSide(Profile profile, RepeatedField<ulong> ids, int limit)
    {
        var frames = 0;
        var count = 0;
        for (var i = ids.Count - 1; i >= 0; i--)
        {
            var n = FramesOf(profile, ids[i]);
            if (n > limit - frames)
            {
                break;
            }

            frames += n;
            count++;
        }

        return (count, frames);
    }

    private static int FramesOf(Profile profile, ulong locationId)
    {
        if (locationId == 0 || locationId > (ulong)profile.Location.Count)
        {
            throw new InvalidProfileException($"a sample refers to location id {locationId}, which does not exist");
        }

        return Math.Max(profile.Location[(int)(locationId - 1)].Line.Count, 1);
    }

    /// <summary>The locations truncation adds to one profile: one marker, and one per cut location and kept line count.</summary>
    private sealed class StackCuts(Profile profile)
    {
        private readonly Dictionary<(ulong Location, int Lines), ulong> _rootLines = [];
        private ulong _marker;

        /// <summary>The location of the single <see cref="TruncatedFramesName"/> frame, added on first use.</summary>
        public ulong Marker()
        {
            if (_marker == 0)
            {
                var name = profile.StringTable.IndexOf(TruncatedFramesName);
                if (name < 0)
                {
                    name = profile.StringTable.Count;
                    profile.StringTable.Add(TruncatedFramesName);
                }

                var function = (ulong)profile.Function.Count + 1;
                profile.Function.Add(new Function { Id = function, Name = name });
                _marker = Add(new Location { Line = { new Line { FunctionId = function } } });
            }

            return _marker;
        }

        /// <summary>A copy of a location (same mapping and address) with only its last, root-side <paramref name="lines"/> lines.</summary>
        public ulong RootLines(ulong locationId, int lines)
        {
            if (!_rootLines.TryGetValue((locationId, lines), out var id))
            {
                var original = profile.Location[(int)(locationId - 1)];
                var copy = new Location { MappingId = original.MappingId, Address = original.Address, IsFolded = original.IsFolded };
                for (var i = original.Line.Count - lines; i < original.Line.Count; i++)
                {
                    copy.Line.Add(original.Line[i].Clone());
                }

                id = Add(copy);
                _rootLines[(locationId, lines)] = id;
            }

            return id;
        }

        private ulong Add(Location location)
        {
            location.Id = (ulong)profile.Location.Count + 1;
            profile.Location.Add(location);
            return location.Id;
        }
    }
}
