using Dapr.Profiler.Mesh;
using Dapr.Profiler.Model;
using Dapr.Profiler.Protos.QueryBackend;

namespace Dapr.Profiler.QueryBackend;

/// <summary>The validated, parsed parts of an <see cref="InvokeRequest"/> that every plan node needs.</summary>
internal sealed class InvocationScope
{
    /// <summary>The smallest time series step accepted, in seconds (Pyroscope rejects smaller ones).</summary>
    public const double MinStepSeconds = 0.001;

    /// <summary>The largest step accepted, in seconds (about 31 years), so bucket arithmetic cannot overflow.</summary>
    public const double MaxStepSeconds = 1e9;

    private InvocationScope(InvokeRequest request, HashSet<string> tenants, LabelSelector selector)
    {
        Request = request;
        Tenants = tenants;
        Selector = selector;
        Filter = selector.Matches;
        Budget = new QueryBudgetTracker(request.Budget);
    }

    public InvokeRequest Request { get; }

    /// <summary>The tenants whose datasets may be read.</summary>
    public IReadOnlySet<string> Tenants { get; }

    public LabelSelector Selector { get; }

    /// <summary>The series filter: the selector over full series labels.</summary>
    public Func<LabelSet, bool> Filter { get; }

    /// <summary>What this invocation has used of the request's budget.</summary>
    public QueryBudgetTracker Budget { get; }

    /// <summary>Unix milliseconds, inclusive.</summary>
    public long StartMs => Request.StartTime;

    /// <summary>Unix milliseconds, inclusive.</summary>
    public long EndMs => Request.EndTime;

    /// <exception cref="ServiceException">Status InvalidArgument: the request cannot be run.</exception>
    public static InvocationScope Parse(InvokeRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Plan is null)
        {
            throw Invalid("the request has no plan");
        }

        if (request.TenantId.Count == 0)
        {
            throw Invalid("the request names no tenant");
        }

        if (request.Query.Count == 0)
        {
            throw Invalid("the request has no query");
        }

        if (request.StartTime > request.EndTime)
        {
            throw Invalid($"start_time {request.StartTime} is after end_time {request.EndTime}");
        }

        LabelSelector selector;
        if (string.IsNullOrWhiteSpace(request.LabelSelector))
        {
            selector = LabelSelector.All;
        }
        else if (!LabelSelector.TryParse(request.LabelSelector, out selector!, out var error))
        {
            throw Invalid($"invalid label selector: {error.Message}");
        }

        foreach (var query in request.Query)
        {
            Validate(query);
        }

        return new InvocationScope(request, new HashSet<string>(request.TenantId, StringComparer.Ordinal), selector);
    }

    /// <summary>The width of a time series bucket in milliseconds (the step is validated by <see cref="Parse"/>).</summary>
    public static long StepMillis(TimeSeriesQuery query) => (long)(query.Step * 1000);

    /// <summary>Milliseconds of a nanosecond timestamp, rounded down (as the block format defines row times).</summary>
    public static long NanosToMillis(long nanos)
    {
        var (quotient, remainder) = Math.DivRem(nanos, 1_000_000L);
        return remainder < 0 ? quotient - 1 : quotient;
    }

    private static void Validate(Query query)
    {
        switch (query.Type)
        {
            case QueryType.Tree:
                if (query.Tree is { MaxNodes: < 0 })
                {
                    throw Invalid("tree max_nodes must not be negative");
                }

                break;
            case QueryType.TimeSeries:
                var step = query.TimeSeries?.Step ?? 0;
                if (!double.IsFinite(step) || step < MinStepSeconds || step > MaxStepSeconds)
                {
                    throw Invalid($"time series step {step} s is out of range [{MinStepSeconds}, {MaxStepSeconds}]");
                }

                break;
            case QueryType.Pprof:
                break;
            case QueryType.LabelNames:
            case QueryType.SeriesLabels:
                break;
            case QueryType.LabelValues:
                if (string.IsNullOrEmpty(query.Labels?.Name))
                {
                    throw Invalid("a label values query needs labels.name");
                }

                break;
            default:
                throw Invalid($"unsupported query type {query.Type}");
        }
    }

    private static ServiceException Invalid(string message) => new(ServiceStatus.InvalidArgument, message);
}
