namespace Dapr.Profiler.QueryFrontend;

/// <summary>A validated query time range in Unix milliseconds, both ends inclusive.</summary>
internal readonly record struct QueryRange(long Start, long End)
{
    /// <summary>
    /// Checks a request's range as Pyroscope's <c>ValidateRangeRequest</c>: both ends are required and ordered, the
    /// start is moved up to the lookback limit, and the length is bounded. Returns null when the whole range lies
    /// before the lookback limit (the answer is empty).
    /// </summary>
    /// <exception cref="Mesh.ServiceException">invalid_argument: missing, reversed or too long.</exception>
    public static QueryRange? Validate(long start, long end, QueryFrontendOptions options, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (start == 0 || end == 0)
        {
            throw QuerySelectors.Invalid("missing time range in the query: start and end (Unix milliseconds) are required");
        }

        if (start > end)
        {
            throw QuerySelectors.Invalid($"query start time is after end time (start {start}, end {end})");
        }

        if (options.MaxQueryLookback > TimeSpan.Zero)
        {
            var minStart = (now - options.MaxQueryLookback).ToUnixTimeMilliseconds();
            if (end < minStart)
            {
                return null;
            }

            start = Math.Max(start, minStart);
        }

        if (options.MaxQueryLength > TimeSpan.Zero && TimeSpan.FromMilliseconds(end - start) > options.MaxQueryLength)
        {
            throw QuerySelectors.Invalid(
                $"the query time range exceeds the limit ({QueryFrontendOptions.Key(nameof(QueryFrontendOptions.MaxQueryLength))}, actual: {TimeSpan.FromMilliseconds(end - start)}, limit: {options.MaxQueryLength})");
        }

        return new QueryRange(start, end);
    }
}
