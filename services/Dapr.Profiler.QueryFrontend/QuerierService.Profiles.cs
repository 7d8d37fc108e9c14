using Dapr.Profiler.Mesh;
using Dapr.Profiler.Model;
using Dapr.Profiler.Protos.Pprof;
using Dapr.Profiler.Protos.Querier;
using Dapr.Profiler.Protos.QueryBackend;
using Dapr.Profiler.Protos.Types;

namespace Dapr.Profiler.QueryFrontend;

/// <summary>Profile queries: flame graphs, merged pprof, diffs.</summary>
public sealed partial class QuerierService
{
    /// <summary>
    /// The merged profile of the matching series as a flame graph (default), a pprof profile
    /// (<c>PROFILE_FORMAT_PPROF</c>) or DOT text (<c>PROFILE_FORMAT_DOT</c>); <c>PROFILE_FORMAT_TREE</c> is
    /// unimplemented. No data gives the empty flame graph: names <c>["total"]</c> and one level <c>[0,0,0,0]</c>,
    /// exactly what Pyroscope's <c>NewFlameGraph</c> makes of an empty tree.
    /// </summary>
    public async Task<SelectMergeStacktracesResponse> SelectMergeStacktracesAsync(
        SelectMergeStacktracesRequest request, string tenant, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.SpanSelector.Count > 0 && request.TraceIdSelector.Count > 0)
        {
            throw QuerySelectors.Invalid("span_selector and trace_id_selector cannot be combined");
        }

        switch (request.Format)
        {
            case ProfileFormat.Tree:
                throw new ServiceException(ServiceStatus.Unimplemented, "PROFILE_FORMAT_TREE is not supported by this server; ask for a flame graph or pprof");
            case ProfileFormat.Pprof:
                var profile = await MergeProfileAsync(
                    request.ProfileTypeID, request.LabelSelector, request.Start, request.End, request.HasMaxNodes ? request.MaxNodes : null, request, tenant, cancellationToken);
                return new SelectMergeStacktracesResponse { Pprof = new PprofProfile { Profile = profile } };
            case ProfileFormat.Dot:
                return new SelectMergeStacktracesResponse { Dot = await DotAsync(request, tenant, cancellationToken) };
        }

        var maxNodes = QuerySelectors.MaxNodes(request.HasMaxNodes ? request.MaxNodes : null, _options.DefaultMaxNodes);
        var tree = await MergeTreeAsync(request, Selectors(), tenant, maxNodes, cancellationToken);
        return new SelectMergeStacktracesResponse { Flamegraph = FlameGraphEncoder.Encode(tree, maxNodes) };

        async Task<string> DotAsync(SelectMergeStacktracesRequest r, string t, CancellationToken ct)
        {
            // As Pyroscope: the DOT graph keeps max_nodes nodes (default 100) of a pprof of at least 512 nodes.
            var dotNodes = r.HasMaxNodes && r.MaxNodes > 0 ? r.MaxNodes : DotWriter.DefaultMaxNodes;
            var p = await MergeProfileCoreAsync(r.ProfileTypeID, r.LabelSelector, r.Start, r.End, Math.Max(dotNodes, DotWriter.SourceMaxNodes), r, t, ct);
            return p.Sample.Count == 0 ? string.Empty : DotWriter.Write(p, (int)Math.Min(dotNodes, int.MaxValue));
        }
    }

    /// <summary>
    /// The deprecated span-profile query. Spans are not indexed by this server, so the answer is the empty flame
    /// graph (Grafana shows "no data") once the request is valid.
    /// </summary>
    public Task<SelectMergeSpanProfileResponse> SelectMergeSpanProfileAsync(
        SelectMergeSpanProfileRequest request, string tenant, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var maxNodes = QuerySelectors.MaxNodes(request.HasMaxNodes ? request.MaxNodes : null, _options.DefaultMaxNodes);
        QuerySelectors.ParseProfileType(request.ProfileTypeID);
        Selectors().Parse(request.LabelSelector);
        _ = Range(request.Start, request.End);
        return Task.FromResult(new SelectMergeSpanProfileResponse { Flamegraph = FlameGraphEncoder.Encode(new StackTree(), maxNodes) });
    }

    /// <summary>
    /// The merged pprof of the matching series (uncompressed google.v1.Profile). <c>max_nodes</c> absent or 0 means
    /// no truncation, as Pyroscope's default for this method (pprof export wants whole profiles); a positive value
    /// is passed to the backend, which truncates the merged profile. No data gives an empty profile.
    /// </summary>
    public Task<Profile> SelectMergeProfileAsync(SelectMergeProfileRequest request, string tenant, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var filters = new SelectMergeStacktracesRequest { StackTraceSelector = request.StackTraceSelector };
        filters.ProfileIdSelector.AddRange(request.ProfileIdSelector);
        filters.TraceIdSelector.AddRange(request.TraceIdSelector);
        return MergeProfileAsync(
            request.ProfileTypeID, request.LabelSelector, request.Start, request.End, request.HasMaxNodes ? request.MaxNodes : null, filters, tenant, cancellationToken);
    }

    /// <summary>
    /// The difference of two merged profiles as a 7-value flame graph. <c>max_nodes</c> is the larger of the two
    /// requests' (validated as for flame graphs); both sides run concurrently.
    /// </summary>
    public async Task<DiffResponse> DiffAsync(DiffRequest request, string tenant, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var left = request.Left ?? new SelectMergeStacktracesRequest();
        var right = request.Right ?? new SelectMergeStacktracesRequest();
        var maxNodes = QuerySelectors.MaxNodes(Math.Max(left.MaxNodes, right.MaxNodes), _options.DefaultMaxNodes);
        QuerySelectors.ParseProfileType(left.ProfileTypeID);
        QuerySelectors.ParseProfileType(right.ProfileTypeID);

        // Both sides count against one request's matcher limit; parsed before either side runs.
        var selectors = Selectors();
        var leftSelector = selectors.Parse(left.LabelSelector);
        var rightSelector = selectors.Parse(right.LabelSelector);
        var leftTree = MergeTreeAsync(left, leftSelector, tenant, maxNodes, cancellationToken);
        var rightTree = MergeTreeAsync(right, rightSelector, tenant, maxNodes, cancellationToken);
        await Task.WhenAll(leftTree, rightTree);
        return new DiffResponse { Flamegraph = FlameGraphDiffEncoder.Encode(await leftTree, await rightTree, maxNodes) };
    }

    /// <summary>The merged call tree of a flame graph request (empty when nothing can match).</summary>
    private Task<StackTree> MergeTreeAsync(
        SelectMergeStacktracesRequest request, SelectorLimits selectors, string tenant, long maxNodes, CancellationToken cancellationToken) =>
        MergeTreeAsync(request, selectors.Parse(request.LabelSelector), tenant, maxNodes, cancellationToken);

    private async Task<StackTree> MergeTreeAsync(
        SelectMergeStacktracesRequest request, LabelSelector labelSelector, string tenant, long maxNodes, CancellationToken cancellationToken)
    {
        var type = QuerySelectors.ParseProfileType(request.ProfileTypeID);
        var selector = QuerySelectors.WithProfileType(labelSelector, type);
        var range = Range(request.Start, request.End);
        if (range is null || !CheckSelectors(request))
        {
            return new StackTree();
        }

        var tree = new TreeQuery { MaxNodes = maxNodes };
        tree.CallSite.AddRange(CallSite(request.StackTraceSelector));
        var report = await _executor.RunAsync([tenant], range.Value, range.Value.Start, selector, new Query { Type = QueryType.Tree, Tree = tree }, cancellationToken);
        return ReportConversions.ToStackTree(report?.Tree);
    }

    private Task<Profile> MergeProfileAsync(
        string profileTypeId, string labelSelector, long start, long end, long? maxNodes, SelectMergeStacktracesRequest filters, string tenant, CancellationToken cancellationToken)
    {
        var n = maxNodes ?? 0;
        if (n != 0)
        {
            n = QuerySelectors.MaxNodes(n, _options.DefaultMaxNodes);
        }

        return MergeProfileCoreAsync(profileTypeId, labelSelector, start, end, n, filters, tenant, cancellationToken);
    }

    private async Task<Profile> MergeProfileCoreAsync(
        string profileTypeId, string labelSelector, long start, long end, long maxNodes, SelectMergeStacktracesRequest filters, string tenant, CancellationToken cancellationToken)
    {
        var type = QuerySelectors.ParseProfileType(profileTypeId);
        var selector = QuerySelectors.WithProfileType(Selectors().Parse(labelSelector), type);
        var range = Range(start, end);
        if (range is null || !CheckSelectors(filters))
        {
            return new Profile();
        }

        var pprof = new PprofQuery { MaxNodes = maxNodes };
        pprof.CallSite.AddRange(CallSite(filters.StackTraceSelector));
        var report = await _executor.RunAsync([tenant], range.Value, range.Value.Start, selector, new Query { Type = QueryType.Pprof, Pprof = pprof }, cancellationToken);
        return report?.Pprof ?? new Profile();
    }

    /// <summary>
    /// False when a span or trace selector is set: spans are not indexed here, so nothing matches (the answer is
    /// empty, as for a span nobody profiled). Profile id selection is not supported and refused rather than ignored.
    /// </summary>
    private static bool CheckSelectors(SelectMergeStacktracesRequest request)
    {
        if (request.ProfileIdSelector.Count > 0)
        {
            throw new ServiceException(ServiceStatus.Unimplemented, "profile_id_selector is not supported by this server");
        }

        return request.SpanSelector.Count == 0 && request.TraceIdSelector.Count == 0;
    }

    private static IEnumerable<string> CallSite(StackTraceSelector? selector) => selector?.CallSite.Select(l => l.Name) ?? [];
}
