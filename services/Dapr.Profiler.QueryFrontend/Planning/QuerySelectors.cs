using Dapr.Profiler.Mesh;
using Dapr.Profiler.Model;
using MatchType = Dapr.Profiler.Model.MatchType;

namespace Dapr.Profiler.QueryFrontend;

/// <summary>Parses and rewrites the label selectors and profile type ids of query requests.</summary>
internal static class QuerySelectors
{
    /// <summary>
    /// Names the metastore knows exactly for every label set: <c>service_name</c>, <c>__profile_type__</c> and the
    /// names derived from the profile type. A selector using only these is answered exactly from metadata.
    /// </summary>
    private static readonly HashSet<string> IndexNames = new(StringComparer.Ordinal)
    {
        LabelNames.ServiceName, LabelNames.ProfileType, LabelNames.ServiceNameCopy, LabelNames.MetricName,
        LabelNames.Type, LabelNames.Unit, LabelNames.PeriodType, LabelNames.PeriodUnit,
    };

    public static bool IsIndexName(string name) => IndexNames.Contains(name);

    /// <exception cref="ServiceException">invalid_argument: missing or malformed.</exception>
    public static ProfileTypeId ParseProfileType(string? id)
    {
        if (string.IsNullOrEmpty(id))
        {
            throw Invalid("missing profile type: profileTypeID must be name:sample_type:sample_unit:period_type:period_unit");
        }

        if (!ProfileTypeId.TryParse(id, out var type, out var error))
        {
            throw Invalid(error);
        }

        return type;
    }

    /// <summary>The selector with <c>__profile_type__="id"</c> appended, as Pyroscope's frontend builds it.</summary>
    public static LabelSelector WithProfileType(LabelSelector selector, ProfileTypeId type) =>
        new(selector.Matchers.Append(new LabelMatcher(LabelNames.ProfileType, MatchType.Equal, type.Id)));

    /// <summary>All matchers of several selectors in one (every one must match), as Pyroscope v2 combines them.</summary>
    public static LabelSelector Combine(IEnumerable<LabelSelector> selectors) => new(selectors.SelectMany(s => s.Matchers));

    /// <summary>
    /// What the metastore is asked for blocks with: the matchers on names it evaluates exactly (the strict
    /// <c>service_name="x"</c> matcher first of all, and the <c>__profile_type__</c> one). Other matchers could only
    /// be checked approximately from metadata and are left to the query-backend, which filters series exactly.
    /// </summary>
    public static LabelSelector ForMetadata(LabelSelector selector) =>
        new(selector.Matchers.Where(m => IndexNames.Contains(m.Name)));

    /// <summary>True when every matcher is on a name the metastore knows exactly.</summary>
    public static bool IsIndexExact(IEnumerable<LabelSelector> selectors) =>
        selectors.All(s => s.Matchers.All(m => IndexNames.Contains(m.Name)));

    /// <summary>
    /// Validates <c>max_nodes</c> as Pyroscope does: absent or 0 means <paramref name="defaultMaxNodes"/>; negative
    /// or above <see cref="QueryFrontendOptions.MaxNodesLimit"/> is refused.
    /// </summary>
    public static long MaxNodes(long? requested, long defaultMaxNodes)
    {
        var n = requested ?? 0;
        if (n == 0)
        {
            return defaultMaxNodes;
        }

        if (n > QueryFrontendOptions.MaxNodesLimit)
        {
            throw Invalid($"max flamegraph nodes limit {n} is greater than allowed {QueryFrontendOptions.MaxNodesLimit}");
        }

        if (n < 0)
        {
            throw Invalid($"max flamegraph nodes limit must be set (max allowed {QueryFrontendOptions.MaxNodesLimit})");
        }

        return n;
    }

    public static ServiceException Invalid(string message) => new(ServiceStatus.InvalidArgument, message);
}
