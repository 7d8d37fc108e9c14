using System.Text;
using Dapr.Profiler.Protos.Pprof;

namespace Dapr.Profiler.Model;

public sealed partial class SeriesNormalizer
{
    /// <summary>Labels Pyroscope removes before storage.</summary>
    private static readonly HashSet<string> DroppedLabels = new(StringComparer.Ordinal)
    {
        LabelNames.Delta, "__order__", LabelNames.SessionId,
    };

    /// <summary>Labels every series gets from its profile type; a pushed value would only clash with them.</summary>
    private static readonly HashSet<string> SeriesReserved = new(StringComparer.Ordinal)
    {
        LabelNames.ProfileType, LabelNames.Type, LabelNames.Unit, LabelNames.PeriodType, LabelNames.PeriodUnit, LabelNames.ServiceNameCopy,
    };

    /// <summary>Sample labels that are not stored as series labels (trace and span ids).</summary>
    private static readonly HashSet<string> SampleOnlyLabels = new(StringComparer.Ordinal) { "trace_id", "span_id", "profile_id" };

    /// <summary>Validates and sanitises pushed labels; adds <c>service_name="unknown_service"</c> when absent.</summary>
    /// <exception cref="InvalidLabelsException">A label breaks a rule or a limit.</exception>
    public LabelSet NormalizeLabels(IReadOnlyList<LabelPair> labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var byName = new Dictionary<string, string>(labels.Count + 1, StringComparer.Ordinal);
        foreach (var label in labels)
        {
            if (label.Value.Length == 0 || DroppedLabels.Contains(label.Name) || IsReservedBySeries(label.Name))
            {
                // An empty value means the label is absent; reserved names are the server's to set.
                continue;
            }

            AddSanitized(byName, label, labels);
        }

        if (!byName.ContainsKey(LabelNames.ServiceName))
        {
            byName[LabelNames.ServiceName] = LabelNames.UnknownService;
        }

        return Validate(byName, labels);
    }

    private static bool IsReservedBySeries(string name) => SeriesReserved.Contains(name);

    private void AddSanitized(Dictionary<string, string> byName, LabelPair label, IReadOnlyList<LabelPair> all)
    {
        var name = label.Name;
        if (name.Length == 0 || !IsValidName(name, Options.SanitizeLabelNames))
        {
            throw new InvalidLabelsException($"invalid labels '{Describe(all)}' with error: invalid label name '{name}'");
        }

        if (Options.SanitizeLabelNames && name.Contains('.', StringComparison.Ordinal))
        {
            name = name.Replace('.', '_');
        }

        if (byName.TryGetValue(name, out var existing))
        {
            if (existing == label.Value && name != label.Name)
            {
                return;
            }

            throw new InvalidLabelsException(name == label.Name
                ? $"profile with labels '{Describe(all)}' has duplicate label name: '{name}'"
                : $"profile with labels '{Describe(all)}' has duplicate label name '{name}' after label name sanitization from '{label.Name}'");
        }

        byName.Add(name, label.Value);
    }

    private LabelSet Validate(Dictionary<string, string> byName, IReadOnlyList<LabelPair> original)
    {
        var set = LabelSet.Create(byName.Select(kv => new LabelPair(kv.Key, kv.Value)));
        if (set.Count > Options.MaxLabelNamesPerSeries)
        {
            throw new InvalidLabelsException($"profile series '{set}' has {set.Count} label names; limit {Options.MaxLabelNamesPerSeries}");
        }

        if (set.Get(LabelNames.MetricName) is null)
        {
            throw new InvalidLabelsException($"invalid labels '{Describe(original)}' with error: invalid metric name");
        }

        foreach (var label in set)
        {
            if (Encoding.UTF8.GetByteCount(label.Name) > Options.MaxLabelNameLength)
            {
                throw new InvalidLabelsException($"profile with labels '{set}' has label name too long: '{label.Name}'");
            }

            if (Encoding.UTF8.GetByteCount(label.Value) > Options.MaxLabelValueLength)
            {
                throw new InvalidLabelsException($"profile with labels '{set}' has label value too long: '{label.Value}'");
            }
        }

        return set;
    }

    /// <summary>
    /// With sanitisation, names are <c>[A-Za-z_.][A-Za-z0-9_.]*</c> (dots become underscores); without it, any
    /// non-empty name is accepted, as Pyroscope does.
    /// </summary>
    private static bool IsValidName(string name, bool sanitize)
    {
        if (!sanitize)
        {
            return true;
        }

        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            var ok = char.IsAsciiLetter(c) || c is '_' or '.' || (i > 0 && char.IsAsciiDigit(c));
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Groups samples by their string labels (except trace and span ids, which are not stored) and gives each
    /// group the series labels plus its sample labels; series labels win on a clash. Groups share the profile:
    /// each gets the indexes of its samples. Most profiles have no sample labels and come back as one group
    /// with a null index list (all samples).
    /// </summary>
    /// <exception cref="ProfileTooLargeException">More groups than <see cref="NormalizationOptions.MaxSeriesPerProfile"/>.</exception>
    private List<(LabelSet Labels, List<int>? Samples)> SplitBySampleLabels(Profile profile, LabelSet baseLabels)
    {
        var strings = profile.StringTable;
        var samples = profile.Sample;
        Dictionary<string, List<int>>? groups = null;
        Dictionary<string, LabelSet>? labelsByKey = null;
        List<int>? plain = null;
        var key = new System.Text.StringBuilder();
        for (var i = 0; i < samples.Count; i++)
        {
            key.Clear();
            var labels = samples[i].Label;
            for (var j = 0; j < labels.Count; j++)
            {
                var label = labels[j];
                if (label.Str != 0 && IsSplitKey(strings[(int)label.Key], baseLabels))
                {
                    key.Append(label.Key).Append('=').Append(label.Str).Append(',');
                }
            }

            if (key.Length == 0)
            {
                (plain ??= []).Add(i);
                continue;
            }

            groups ??= new Dictionary<string, List<int>>(StringComparer.Ordinal);
            var text = key.ToString();
            if (!groups.TryGetValue(text, out var list))
            {
                if (groups.Count >= Options.MaxSeriesPerProfile)
                {
                    throw new ProfileTooLargeException(
                        nameof(NormalizationOptions.MaxSeriesPerProfile),
                        Options.MaxSeriesPerProfile,
                        $"the sample labels of the profile make more than {Options.MaxSeriesPerProfile} series ({nameof(NormalizationOptions.MaxSeriesPerProfile)})");
                }

                groups.Add(text, list = []);
                (labelsByKey ??= new(StringComparer.Ordinal))[text] = GroupLabels(profile, samples[i], baseLabels);
            }

            list.Add(i);
        }

        if (groups is null)
        {
            return [(baseLabels, null)];
        }

        var result = new List<(LabelSet Labels, List<int>? Samples)>(groups.Count + 1);
        if (plain is not null)
        {
            result.Add((baseLabels, plain));
        }

        // Two raw label combinations can normalise to the same labels (duplicate keys): merge their samples.
        foreach (var same in groups.GroupBy(g => labelsByKey![g.Key]))
        {
            var indexes = same.SelectMany(g => g.Value).Order().ToList();
            result.Add((same.Key, indexes));
        }

        return result;
    }

    /// <summary>Whether a sample label key becomes a series label.</summary>
    private bool IsSplitKey(string key, LabelSet baseLabels)
    {
        if (SampleOnlyLabels.Contains(key) || key.StartsWith("__", StringComparison.Ordinal))
        {
            return false;
        }

        return baseLabels.Get(SampleLabelName(key)) is null;
    }

    /// <summary>
    /// The series label name of a sample label key. Producers pick these freely (Go's pprof.Labels allow any
    /// text), so with sanitisation on, characters a label name cannot hold become <c>_</c> instead of the whole
    /// profile being rejected.
    /// </summary>
    private string SampleLabelName(string key)
    {
        if (!Options.SanitizeLabelNames)
        {
            return key;
        }

        var chars = key.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            var c = chars[i];
            if (!(char.IsAsciiLetter(c) || c == '_' || (i > 0 && char.IsAsciiDigit(c))))
            {
                chars[i] = '_';
            }
        }

        return new string(chars);
    }

    private LabelSet GroupLabels(Profile profile, Sample sample, LabelSet baseLabels)
    {
        var strings = profile.StringTable;
        var merged = new List<LabelPair>(baseLabels.Count + sample.Label.Count);
        merged.AddRange(baseLabels);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var labels = sample.Label;
        for (var j = 0; j < labels.Count; j++)
        {
            var label = labels[j];
            var key = strings[(int)label.Key];
            if (label.Str != 0 && IsSplitKey(key, baseLabels) && seen.Add(SampleLabelName(key)))
            {
                merged.Add(new LabelPair(SampleLabelName(key), strings[(int)label.Str]));
            }
        }

        return NormalizeLabels(merged);
    }

    private static string Describe(IReadOnlyList<LabelPair> labels) =>
        "{" + string.Join(", ", labels.Select(l => l.ToString())) + "}";
}
