using Microsoft.Extensions.Options;

namespace Dapr.Profiler.ObjectStorage;

/// <summary>Which implementation of <see cref="IObjectStore"/> the process uses.</summary>
public enum ObjectStorageProvider
{
    /// <summary>A directory on the local filesystem (<see cref="FileSystemObjectStore"/>): the all-in-one default.</summary>
    FileSystem,

    /// <summary>An S3 bucket, on AWS or any S3-compatible server (<see cref="S3ObjectStore"/>), set in <c>ObjectStorage:S3</c>.</summary>
    S3,
}

/// <summary>
/// Settings of the object store, bound from the <c>ObjectStorage</c> configuration section.
/// To add a setting: add a property with its default here (defaults live only in this class), document its
/// trade-off, and check it in <see cref="ObjectStorageOptionsValidator"/>.
/// </summary>
public sealed class ObjectStorageOptions
{
    /// <summary>The configuration section the options are bound from.</summary>
    public const string SectionName = "ObjectStorage";

    /// <summary>The backend. Later: Dapr output bindings.</summary>
    public ObjectStorageProvider Provider { get; set; } = ObjectStorageProvider.FileSystem;

    /// <summary>
    /// The root directory of <see cref="ObjectStorageProvider.FileSystem"/> (created if missing; relative paths are
    /// resolved against the working directory). Every object is one file below it; use a local disk, since atomic
    /// puts rely on rename and fsync behaving as on a local filesystem.
    /// </summary>
    public string Directory { get; set; } = "data/bucket";

    /// <summary>The bucket and connection of <see cref="ObjectStorageProvider.S3"/> (section <c>ObjectStorage:S3</c>).</summary>
    public S3ObjectStoreOptions S3 { get; set; } = new();
}

/// <summary>Checks <see cref="ObjectStorageOptions"/> at start, so a bad setting stops the host with a clear message.</summary>
public sealed class ObjectStorageOptionsValidator : IValidateOptions<ObjectStorageOptions>
{
    public ValidateOptionsResult Validate(string? name, ObjectStorageOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!Enum.IsDefined(options.Provider))
        {
            return ValidateOptionsResult.Fail($"ObjectStorage:Provider {options.Provider} is unknown; use one of {string.Join(", ", Enum.GetNames<ObjectStorageProvider>())}");
        }

        if (options.Provider == ObjectStorageProvider.FileSystem)
        {
            if (string.IsNullOrWhiteSpace(options.Directory))
            {
                return ValidateOptionsResult.Fail("ObjectStorage:Directory is required for the FileSystem provider");
            }

            if (options.Directory.Contains('\0', StringComparison.Ordinal))
            {
                return ValidateOptionsResult.Fail("ObjectStorage:Directory contains a NUL character");
            }
        }

        if (options.Provider == ObjectStorageProvider.S3)
        {
            var problem = options.S3 is null ? $"{S3ObjectStoreOptions.SectionPath} is required for the S3 provider" : options.S3.Validate();
            if (problem is not null)
            {
                return ValidateOptionsResult.Fail(problem);
            }
        }

        return ValidateOptionsResult.Success;
    }
}
