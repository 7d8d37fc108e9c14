namespace Dapr.Profiler.QueryFrontend;

/// <summary>
/// A request refused at the HTTP layer with a status the Connect code alone does not decide (415 for a media type,
/// 404 for an unknown procedure, 405 for a method other than POST).
/// </summary>
internal sealed class ApiException(int status, string code, string message) : Exception(message)
{
    public int Status { get; } = status;

    public string Code { get; } = code;
}
