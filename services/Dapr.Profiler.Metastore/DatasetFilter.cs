using Dapr.Profiler.Model;

namespace Dapr.Profiler.Metastore;

/// <summary>
/// Decides from metadata alone whether a dataset <i>may</i> hold series matching any of some selectors (none = all).
/// </summary>
/// <remarks>
/// A dataset matches when one of its label sets (one per profile type, see <see cref="DatasetInfo.Series"/>)
/// satisfies every matcher of a selector:
/// <list type="bullet">
/// <item><c>service_name</c>, <c>__profile_type__</c> and the names derived from them are compared exactly;</item>
/// <item>another name is looked up in the dataset's label values: a label the dataset does not have has the value ""
/// (Prometheus semantics); a label whose value list was truncated may match anything; otherwise the matcher must
/// accept one listed value, or "" (a series of the dataset may lack the label — the metadata cannot tell).</item>
/// </list>
/// So the answer has no false negatives; the query backend filters series exactly.
/// </remarks>
internal sealed class DatasetFilter
{
    private readonly LabelSelector[] _selectors;

    public DatasetFilter(IEnumerable<LabelSelector> selectors)
    {
        ArgumentNullException.ThrowIfNull(selectors);
        _selectors = selectors.Where(s => s.Matchers.Count > 0).ToArray();
        if (_selectors.Length < selectors.Count())
        {
            // An empty selector {} matches everything, which makes the others irrelevant.
            _selectors = [];
        }
    }

    public static DatasetFilter All { get; } = new([]);

    public bool Matches(DatasetInfo dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        if (_selectors.Length == 0)
        {
            return true;
        }

        foreach (var series in dataset.Series)
        {
            if (SeriesMatches(dataset, series))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether the label set (one of <paramref name="dataset"/>'s) may match a selector.</summary>
    public bool SeriesMatches(DatasetInfo dataset, LabelSet series)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(series);
        if (_selectors.Length == 0)
        {
            return true;
        }

        foreach (var selector in _selectors)
        {
            if (SelectorMatches(selector, dataset, series))
            {
                return true;
            }
        }

        return false;
    }

    private static bool SelectorMatches(LabelSelector selector, DatasetInfo dataset, LabelSet series)
    {
        foreach (var matcher in selector.Matchers)
        {
            var ok = series.Get(matcher.Name) is { } value
                ? matcher.Matches(value)
                : IndexedBlock.IsDerivedName(matcher.Name)
                    ? matcher.Matches(null)
                    : MayMatchLabelValues(matcher, dataset);
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    private static bool MayMatchLabelValues(LabelMatcher matcher, DatasetInfo dataset)
    {
        if (!dataset.TryGetLabelValues(matcher.Name, out var values))
        {
            return matcher.Matches(null);
        }

        if (values.Truncated || matcher.Matches(string.Empty))
        {
            return true;
        }

        foreach (var value in values.Values)
        {
            if (matcher.Matches(value))
            {
                return true;
            }
        }

        return false;
    }
}
