using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Dapr.Profiler.ObjectStorage.Tests;

public sealed class ObjectStorageRegistrationTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static ServiceProvider Build(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection().AddLogging();
        services.AddObjectStorage(configuration);
        return services.BuildServiceProvider();
    }

    [Fact]
    public void FileSystemProvider_IsRegistered_AtTheConfiguredDirectory()
    {
        using var provider = Build(new()
        {
            ["ObjectStorage:Provider"] = "FileSystem",
            ["ObjectStorage:Directory"] = _dir.Sub("configured"),
        });

        var store = Assert.IsType<FileSystemObjectStore>(provider.GetRequiredService<IObjectStore>());

        Assert.Equal(_dir.Sub("configured"), store.RootDirectory);
        Assert.Same(store, provider.GetRequiredService<IObjectStore>());
    }

    [Fact]
    public void EmptyDirectory_FailsValidation_WithAClearMessage()
    {
        using var provider = Build(new() { ["ObjectStorage:Directory"] = " " });

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<ObjectStorageOptions>>().Value);

        Assert.Contains("ObjectStorage:Directory is required", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Defaults_UseTheFileSystemProvider()
    {
        var options = new ObjectStorageOptions();

        Assert.Equal(ObjectStorageProvider.FileSystem, options.Provider);
        Assert.True(new ObjectStorageOptionsValidator().Validate(null, options).Succeeded);
        Assert.True(new ObjectStorageOptionsValidator().Validate(null, new ObjectStorageOptions { Provider = (ObjectStorageProvider)42 }).Failed);
    }

    [Fact]
    public void S3Provider_WithoutABucket_FailsValidation_WithAClearMessage()
    {
        using var provider = Build(new() { ["ObjectStorage:Provider"] = "S3", ["ObjectStorage:S3:Endpoint"] = "http://localhost:9000" });

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<ObjectStorageOptions>>().Value);

        Assert.Contains("ObjectStorage:S3:Bucket is required", ex.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string, string, string> BadS3Settings() => new()
    {
        { "Bucket", "a", "ObjectStorage:S3:Bucket \"a\" is not a bucket name" },
        { "Bucket", "bucket/with/slash", "is not a bucket name" },
        { "Bucket", "-leading-hyphen", "is not a bucket name" },
        { "Region", "us east", "ObjectStorage:S3:Region" },
        { "Endpoint", "localhost:9000", "ObjectStorage:S3:Endpoint \"localhost:9000\" is not an http:// or https:// URL" },
        { "Endpoint", "ftp://host", "is not an http:// or https:// URL" },
        { "AccessKey", "id-without-secret", "AccessKey and ObjectStorage:S3:SecretKey go together" },
        { "SecretKey", "secret-without-id", "go together" },
        { "Prefix", "../escape", "ObjectStorage:S3:Prefix is not a valid key prefix" },
        { "Prefix", "a//b", "Prefix is not a valid key prefix" },
        { "Prefix", "/rooted", "Prefix is not a valid key prefix" },
        { "RequestTimeout", "00:00:00", "ObjectStorage:S3:RequestTimeout" },
        { "MaxRetries", "-1", "ObjectStorage:S3:MaxRetries" },
    };

    [Theory]
    [MemberData(nameof(BadS3Settings))]
    public void BadS3Setting_FailsValidation_NamingTheSetting(string setting, string value, string message)
    {
        using var provider = Build(new()
        {
            ["ObjectStorage:Provider"] = "S3",
            ["ObjectStorage:S3:Bucket"] = "profiles",
            [$"ObjectStorage:S3:{setting}"] = value,
        });

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<ObjectStorageOptions>>().Value);

        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void S3Options_Defaults_AndPathStyleFollowsTheEndpoint()
    {
        var options = new S3ObjectStoreOptions { Bucket = "profiles" };

        Assert.Null(options.Validate());
        Assert.Equal("us-east-1", options.Region);
        Assert.False(options.UsePathStyle); // AWS: virtual-hosted style
        options.Endpoint = "http://minio:9000";
        Assert.True(options.UsePathStyle);
        options.ForcePathStyle = false;
        Assert.False(options.UsePathStyle);
        Assert.Equal(string.Empty, options.NormalizedPrefix);
        options.Prefix = "deployments/a/";
        Assert.Null(options.Validate());
        Assert.Equal("deployments/a/", options.NormalizedPrefix);
        options.Prefix = "deployments/a";
        Assert.Equal("deployments/a/", options.NormalizedPrefix);
        Assert.True(new ObjectStorageOptionsValidator().Validate(null, new ObjectStorageOptions { Provider = ObjectStorageProvider.S3, S3 = options }).Succeeded);
    }

    [Fact]
    public void S3Store_RefusesBadOptions_InItsConstructor()
    {
        var ex = Assert.Throws<ArgumentException>(() => new S3ObjectStore(new S3ObjectStoreOptions()));

        Assert.Contains("Bucket is required", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void S3Store_WithoutExplicitCredentials_IsCreatedWithoutARequest()
    {
        // The default credential chain is resolved at the first request, not at start.
        using var store = new S3ObjectStore(new S3ObjectStoreOptions { Bucket = "profiles", Region = "eu-west-1" });

        Assert.Equal("profiles", store.Bucket);
        Assert.Equal(string.Empty, store.KeyPrefix);
        Assert.True(store.SupportsRangeReads);
    }

    [Theory]
    [InlineData("a", "b", -1)]
    [InlineData("a", "a", 0)]
    [InlineData("a", "a-b", -1)]
    [InlineData("a-b", "a/b", -1)]
    [InlineData("a/b", "a0", -1)]
    [InlineData("Z", "a", -1)]
    [InlineData("\uFFFD", "😀", -1)] // UTF-16 ordinal says the opposite: S3 orders UTF-8 bytes, i.e. code points
    [InlineData("\uE000", "😀", -1)]
    [InlineData("😀", "😁", -1)]
    [InlineData("\uD7FF", "😀", -1)]
    public void CompareCodePoints_IsS3sKeyOrder(string x, string y, int expected)
    {
        Assert.Equal(expected, Math.Sign(S3ObjectStore.CompareCodePoints(x, y)));
        Assert.Equal(-expected, Math.Sign(S3ObjectStore.CompareCodePoints(y, x)));
        var utf8 = System.Text.Encoding.UTF8;
        Assert.Equal(expected, Math.Sign(utf8.GetBytes(x).AsSpan().SequenceCompareTo(utf8.GetBytes(y))));
    }
}
