using System.Collections.Concurrent;
using Dapr.Profiler.Mesh;
using Dapr.Profiler.Protos.Pprof;
using Dapr.Profiler.Protos.QueryBackend;

namespace Dapr.Profiler.QueryFrontend.Tests;

/// <summary>
/// The query-backend's Invoke method as a fake: it records each request and answers one report per query from
/// the settable reports (an empty report of the query's type when none is set).
/// </summary>
internal sealed class FakeQueryBackend
{
    private readonly ConcurrentQueue<InvokeRequest> _requests = new();

    public IReadOnlyList<InvokeRequest> Requests => [.. _requests];

    public TreeReport? Tree { get; set; }

    public TimeSeriesReport? TimeSeries { get; set; }

    public Profile? Pprof { get; set; }

    public LabelReport? Labels { get; set; }

    public ServiceException? Failure { get; set; }

    /// <summary>When set, every call waits until it is canceled.</summary>
    public bool Hang { get; set; }

    /// <summary>The statistics every answer carries (one block read when not set).</summary>
    public ExecutionStats? Stats { get; set; }

    /// <summary>When set, calls for these tenants signal <see cref="Entered"/> and wait for <see cref="Release"/>.</summary>
    public IReadOnlySet<string>? GatedTenants { get; set; }

    /// <summary>Released once per gated call that has arrived.</summary>
    public SemaphoreSlim Entered { get; } = new(0);

    /// <summary>Completing it lets every gated call answer.</summary>
    public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>A tree for a left/right diff: chosen by the request's start time when set.</summary>
    public Func<InvokeRequest, TreeReport?>? TreeFor { get; set; }

    public void Register(ServiceMethodRegistry registry) =>
        registry.Map<InvokeRequest, InvokeResponse>(DaprNames.AppIds.QueryBackend, DaprNames.Methods.QueryBackendInvoke, InvokeAsync);

    private async Task<InvokeResponse> InvokeAsync(InvokeRequest request, CancellationToken cancellationToken)
    {
        _requests.Enqueue(request.Clone());
        if (Hang)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }

        if (GatedTenants is { } gated && request.TenantId.Any(gated.Contains))
        {
            Entered.Release();
            await Release.Task.WaitAsync(cancellationToken);
        }

        if (Failure is { } failure)
        {
            throw failure;
        }

        var response = new InvokeResponse { Stats = Stats?.Clone() ?? new ExecutionStats { BlocksRead = 1 } };
        foreach (var query in request.Query)
        {
            var report = new Report { Type = query.Type };
            switch (query.Type)
            {
                case QueryType.Tree:
                    report.Tree = TreeFor?.Invoke(request) ?? Tree ?? new TreeReport();
                    break;
                case QueryType.TimeSeries:
                    report.TimeSeries = TimeSeries ?? new TimeSeriesReport();
                    break;
                case QueryType.Pprof:
                    report.Pprof = Pprof ?? new Profile();
                    break;
                default:
                    report.Labels = Labels ?? new LabelReport();
                    break;
            }

            response.Reports.Add(report);
        }

        return response;
    }
}
