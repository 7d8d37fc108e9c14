namespace Dapr.Profiler.Model;

/// <summary>Label names with a meaning of their own, as Pyroscope names them.</summary>
public static class LabelNames
{
    public const string MetricName = "__name__";
    public const string ServiceName = "service_name";
    public const string ServiceNameCopy = "__service_name__";
    public const string ProfileType = "__profile_type__";
    public const string Type = "__type__";
    public const string Unit = "__unit__";
    public const string PeriodType = "__period_type__";
    public const string PeriodUnit = "__period_unit__";
    public const string Delta = "__delta__";
    public const string SessionId = "__session_id__";
    public const string PyroscopeSpy = "pyroscope_spy";
    public const string AppName = "app_name";

    /// <summary>The service name given to series that have none.</summary>
    public const string UnknownService = "unknown_service";
}
