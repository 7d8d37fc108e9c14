using System.Text;
using Dapr.Profiler.Model;
using Dapr.Profiler.Protos.Pprof;

namespace Dapr.Profiler.Cli;

/// <summary>A profile read from a file: pprof (gzip or raw) or folded text, told apart by content.</summary>
internal sealed record ProfileFile(string Path, string Format, long Bytes, Profile Profile)
{
    public static ProfileFile Load(string path)
    {
        var data = File.ReadAllBytes(path);
        if (data.Length == 0)
        {
            throw new MalformedProfileException($"{path}: the file is empty");
        }

        try
        {
            if (Gzip.IsGzip(data))
            {
                return new ProfileFile(path, "pprof (gzip)", data.Length, PprofDecoder.Decode(data));
            }

            if (LooksLikeFoldedText(data))
            {
                // Folded files are read as plain sample counts (no sample-rate rescaling).
                var type = new TextProfileType("process_cpu", "samples", "count");
                var profile = TextProfileParser.Parse(data, TextProfileFormat.Folded, type, sampleRate: 0, timeNanos: 0);
                return new ProfileFile(path, "folded", data.Length, profile);
            }

            return new ProfileFile(path, "pprof (raw)", data.Length, PprofDecoder.Decode(data));
        }
        catch (MalformedProfileException ex)
        {
            throw new MalformedProfileException($"{path}: {ex.Message}", ex);
        }
    }

    /// <summary>Printable UTF-8 whose every non-empty line ends in a space and an integer.</summary>
    private static bool LooksLikeFoldedText(byte[] data)
    {
        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(data);
        }
        catch (DecoderFallbackException)
        {
            return false;
        }

        var lines = 0;
        foreach (var raw in text.AsSpan().EnumerateLines())
        {
            var line = raw.TrimEnd('\r');
            if (line.IsEmpty)
            {
                continue;
            }

            foreach (var c in line)
            {
                if (char.IsControl(c) && c != '\t')
                {
                    return false;
                }
            }

            var space = line.LastIndexOf(' ');
            if (space <= 0 || !long.TryParse(line[(space + 1)..], out _))
            {
                return false;
            }

            lines++;
        }

        return lines > 0;
    }

    public string SampleTypeName(int index) => Profile.StringTable[(int)Profile.SampleType[index].Type];

    public string SampleUnit(int index) => Profile.StringTable[(int)Profile.SampleType[index].Unit];

    /// <summary>The sample type to show by default: <c>default_sample_type</c>, else the last one.</summary>
    public int DefaultSampleTypeIndex()
    {
        if (Profile.DefaultSampleType != 0)
        {
            var name = Profile.StringTable[(int)Profile.DefaultSampleType];
            for (var i = 0; i < Profile.SampleType.Count; i++)
            {
                if (SampleTypeName(i) == name)
                {
                    return i;
                }
            }
        }

        return Profile.SampleType.Count - 1;
    }

    /// <summary>Finds a sample type by name; null means the default.</summary>
    public int SampleTypeIndex(string? name)
    {
        if (Profile.SampleType.Count == 0)
        {
            throw new InvalidProfileException($"{Path}: the profile has no sample types");
        }

        if (name is null)
        {
            return DefaultSampleTypeIndex();
        }

        for (var i = 0; i < Profile.SampleType.Count; i++)
        {
            if (SampleTypeName(i) == name)
            {
                return i;
            }
        }

        var known = string.Join(", ", Enumerable.Range(0, Profile.SampleType.Count).Select(SampleTypeName));
        throw new UsageException($"sample type \"{name}\" is not in the profile (it has: {known})");
    }
}
