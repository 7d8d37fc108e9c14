using Dapr.Profiler.ObjectStorage;

namespace Dapr.Profiler.Dapr;

/// <summary>
/// Settings of <see cref="DaprBindingObjectStore"/>, read from the <c>ObjectStorage:Dapr</c> configuration section.
/// </summary>
public sealed class DaprBindingObjectStoreOptions
{
    public const string SectionName = "ObjectStorage:Dapr";

    /// <summary>The component types supported, as in the component's <c>type</c> without <c>bindings.</c>.</summary>
    public static readonly IReadOnlyList<string> SupportedTypes = ["localstorage", "aws.s3", "azure.blobstorage", "gcp.bucket"];

    /// <summary>Room kept in every request for the JSON envelope, the metadata and the (JSON-escaped) key.</summary>
    public const int EnvelopeReserveBytes = 16 * 1024;

    /// <summary>The output binding component's name.</summary>
    public string BindingName { get; set; } = "objectstore";

    /// <summary>
    /// The component's type: <c>localstorage</c>, <c>aws.s3</c>, <c>azure.blobstorage</c> (its component-level
    /// <c>decodeBase64</c> must be <c>true</c>) or <c>gcp.bucket</c>; a leading <c>bindings.</c> is accepted.
    /// </summary>
    public string BindingType { get; set; } = "localstorage";

    /// <summary>
    /// The largest request body the sidecar accepts (daprd <c>--max-body-size</c>, 4 MiB by default). An object is
    /// sent in one request when its base64 text plus <see cref="EnvelopeReserveBytes"/> fits; larger ones are split
    /// into parts that each fit (<see cref="MaxPartBytes"/>).
    /// </summary>
    public int MaxBodyBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Prepended to every key in the binding (e.g. <c>profiles/</c>); a <c>/</c> is added when missing.</summary>
    public string Prefix { get; set; } = string.Empty;

    /// <summary>
    /// For <c>localstorage</c>: the component's <c>rootPath</c> as the sidecar sees it, which its <c>list</c> puts in
    /// front of every path. When empty, the root is found once from a marker object under <c>.dapr-objectstore/</c>.
    /// </summary>
    public string? LocalStorageRootPath { get; set; }

    /// <summary>The largest object (or part) sent in one request: the base64 capacity of the body limit less the reserve.</summary>
    public int MaxPartBytes => (MaxBodyBytes - EnvelopeReserveBytes) / 4 * 3;

    /// <summary>The type without a leading <c>bindings.</c>, lower case.</summary>
    internal string NormalizedType
    {
        get
        {
            var type = BindingType.Trim().ToLowerInvariant();
            return type.StartsWith("bindings.", StringComparison.Ordinal) ? type["bindings.".Length..] : type;
        }
    }

    internal string NormalizedPrefix => Prefix.Length == 0 || Prefix.EndsWith('/') ? Prefix : Prefix + "/";

    /// <exception cref="InvalidOperationException">A setting is not valid.</exception>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(BindingName))
        {
            throw new InvalidOperationException($"{SectionName}:BindingName is empty");
        }

        if (!SupportedTypes.Contains(NormalizedType))
        {
            throw new InvalidOperationException($"{SectionName}:BindingType \"{BindingType}\" is not one of {string.Join(", ", SupportedTypes)}");
        }

        if (MaxBodyBytes < 4 * EnvelopeReserveBytes)
        {
            throw new InvalidOperationException($"{SectionName}:MaxBodyBytes {MaxBodyBytes} is below {4 * EnvelopeReserveBytes}");
        }

        if (NormalizedPrefix.Length > 0)
        {
            ObjectKeys.Validate(NormalizedPrefix.TrimEnd('/'));
        }
    }
}
