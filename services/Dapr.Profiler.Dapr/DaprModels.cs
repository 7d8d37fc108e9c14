namespace Dapr.Profiler.Dapr;

/// <summary>One event of <see cref="DaprClient.BulkPublishAsync"/>.</summary>
/// <param name="EntryId">Unique within the request; failures are reported by it.</param>
/// <param name="Event">The event's bytes. JSON content types travel as the JSON value itself, <c>text/*</c> as a JSON
/// string, anything else (binary) as a base64 JSON string.</param>
/// <param name="ContentType">The event's content type (its CloudEvent <c>datacontenttype</c>).</param>
/// <param name="Metadata">Per-entry metadata, or null.</param>
public sealed record BulkPublishEntry(
    string EntryId,
    ReadOnlyMemory<byte> Event,
    string ContentType,
    IReadOnlyDictionary<string, string>? Metadata = null);

/// <summary>An entry that the sidecar could not publish.</summary>
public sealed record BulkPublishFailedEntry(string EntryId, string Error);

/// <summary>The outcome of a bulk publish: empty <see cref="FailedEntries"/> means every entry was published.</summary>
public sealed record BulkPublishResponse(IReadOnlyList<BulkPublishFailedEntry> FailedEntries);

/// <summary>What an output binding answered: the component's raw bytes and its response metadata.</summary>
/// <param name="Data">The body as returned (empty for <c>204</c>). Dapr labels it JSON even when it is binary.</param>
/// <param name="ContentType">The response's content type, if any.</param>
/// <param name="Metadata">The <c>metadata.*</c> headers with the prefix removed; keys compare case-insensitively.</param>
public sealed record BindingResponse(
    byte[] Data,
    string? ContentType,
    IReadOnlyDictionary<string, string> Metadata);
