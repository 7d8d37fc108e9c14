namespace Dapr.Profiler.Cli.Chaos;

/// <summary>The kinds of hostile input <c>dprof chaos ingest</c> sends; request <c>i</c> is of kind <c>i mod count</c>.</summary>
internal enum ChaosCategory
{
    /// <summary>Corrupted or abusive pprof profiles sent to <c>/ingest</c>.</summary>
    PprofMutation,

    /// <summary>Small gzip bodies that expand past the server's decompressed-size limit.</summary>
    GzipBomb,

    /// <summary>Broken multipart <c>/ingest</c> uploads.</summary>
    Multipart,

    /// <summary>Bad <c>/ingest</c> query strings around a valid profile.</summary>
    IngestQuery,

    /// <summary>Bad <c>push.v1.PusherService/Push</c> bodies, proto and JSON.</summary>
    PushBody,

    /// <summary>Abusive label selectors and matchers.</summary>
    Selector,

    /// <summary>Random or invalid <c>querier.v1</c> bodies and extreme parameters.</summary>
    QuerierBody,

    /// <summary>Inverted, huge, negative and overflowing time ranges.</summary>
    TimeRange,
}

/// <summary>One generated request: everything needed to send it again, and what it tries.</summary>
internal sealed record ChaosRequest(
    ChaosCategory Category,
    int Index,
    string Method,
    string PathAndQuery,
    string? ContentType,
    string? ContentEncoding,
    byte[] Body,
    string Description)
{
    /// <summary>The category as printed (kebab case).</summary>
    public string CategoryName => Name(Category);

    public static string Name(ChaosCategory category) => category switch
    {
        ChaosCategory.PprofMutation => "pprof-mutation",
        ChaosCategory.GzipBomb => "gzip-bomb",
        ChaosCategory.Multipart => "multipart",
        ChaosCategory.IngestQuery => "ingest-query",
        ChaosCategory.PushBody => "push-body",
        ChaosCategory.Selector => "selector",
        ChaosCategory.QuerierBody => "querier-body",
        ChaosCategory.TimeRange => "time-range",
        _ => category.ToString(),
    };

    /// <summary>The request line, its path shortened for a terminal.</summary>
    public string Summary()
    {
        var path = PathAndQuery.Length > 160 ? PathAndQuery[..160] + $"…({PathAndQuery.Length} chars)" : PathAndQuery;
        return $"{Method} {path} ({Body.Length} bytes{(ContentType is null ? string.Empty : ", " + ContentType[..Math.Min(ContentType.Length, 60)])}{(ContentEncoding is null ? string.Empty : ", Content-Encoding " + ContentEncoding)})";
    }
}
