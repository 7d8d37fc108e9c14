using Dapr.Profiler.Mesh;
using Dapr.Profiler.Protos.SegmentWriter;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Dapr.Profiler.SegmentWriter;

/// <summary>Registers the segment-writer service and its method.</summary>
public static class SegmentWriterRegistration
{
    public static IServiceCollection AddSegmentWriter(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<SegmentWriterOptions>()
            .Bind(configuration.GetSection(SegmentWriterOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<SegmentWriterMetrics>();
        services.AddSingleton<SegmentWriterService>();
        services.AddHostedService(sp => sp.GetRequiredService<SegmentWriterService>());
        return services;
    }

    /// <summary>Makes <c>segmentwriter.v1.SegmentWriterService/Push</c> callable through the mesh.</summary>
    public static void MapSegmentWriterMethods(this ServiceMethodRegistry registry, SegmentWriterService service)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(service);
        registry.Map<PushRequest, PushResponse>(DaprNames.AppIds.SegmentWriter, DaprNames.Methods.SegmentWriterPush, service.PushAsync);
    }
}
