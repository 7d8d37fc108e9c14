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

    /// <summary>Sample labels that stay on samples instead of becoming series labels.</summary>
    private static readonly HashSet<string> SampleOnlyLabels = new(StringComparer.Ordinal) { "trace_id", "span_id", "profile_id" };

    /// <summary>Validates and sanitises pushed labels; adds <c>service_name="unknown_service"</c> when absent.</summary>
    /// <exception cref="InvalidLabelsException">A label breaks a rule or a limit.</exception>
    public LabelSet NormalizeLabels(IReadOnlyList<LabelPair> labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var byName = new Dictionary<string, string>(labels.Count + 1, StringComparer.Ordinal);
        foreach (var label in labels)
        {
            if (label.Value.Length == 0 || DroppedLabels.Contains(label.Name))
            {
                // An empty value means the label is absent.
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
    /// Groups samples by their string labels (except trace and span ids, which stay on samples) and gives each
    /// group the series labels plus its sample labels; series labels win on a clash. Most profiles have no
    /// sample labels and come back whole as a single group.
    /// </summary>
    private List<(LabelSet Labels, Profile Profile)> SplitBySampleLabels(Profile profile, LabelSet baseLabels)
    {
        var strings = profile.StringTable;
        Dictionary<LabelSet, List<Sample>>? groups = null;
        var plain = new List<Sample>();
        foreach (var sample in profile.Sample)
        {
            List<LabelPair>? sampleLabels = null;
            var sampleLabelList = sample.Label;
            for (var j = 0; j < sampleLabelList.Count; j++)
            {
                var label = sampleLabelList[j];
                var key = strings[(int)label.Key];
                if (label.Str == 0 || SampleOnlyLabels.Contains(key) || baseLabels.Get(key) is not null)
                {
                    continue;
                }

                sampleLabels ??= [];
                sampleLabels.Add(new LabelPair(key, strings[(int)label.Str]));
            }

            if (sampleLabels is null)
            {
                plain.Add(sample);
                continue;
            }

            groups ??= [];
            var merged = NormalizeLabels([.. baseLabels, .. sampleLabels.DistinctBy(l => l.Name)]);
            if (!groups.TryGetValue(merged, out var list))
            {
                groups.Add(merged, list = []);
            }

            list.Add(sample);
        }

        if (groups is null)
        {
            return [(baseLabels, profile)];
        }

        var result = new List<(LabelSet Labels, Profile Profile)>(groups.Count + 1);
        if (plain.Count > 0)
        {
            result.Add((baseLabels, WithSamples(profile, plain)));
        }

        foreach (var (labels, samples) in groups)
        {
            result.Add((labels, WithSamples(profile, samples)));
        }

        return result;
    }

    private static Profile WithSamples(Profile profile, List<Sample> samples)
    {
        var copy = profile.Clone();
        copy.Sample.Clear();
        copy.Sample.AddRange(samples);
        return copy;
    }

    private static string Describe(IReadOnlyList<LabelPair> labels) =>
        "{" + string.Join(", ", labels.Select(l => l.ToString())) + "}";
}
