using System.Text;
using System.Text.Json;

namespace Dapr.Profiler.DaprSidecar.Emulator;

/// <summary>Result of an output-binding invocation: null data = 204.</summary>
internal sealed record BindingResult(byte[]? Data, IReadOnlyDictionary<string, string> Metadata);

/// <summary>A binding operation failed inside the component (→ 500 ERR_INVOKE_OUTPUT_BINDING).</summary>
internal sealed class BindingException(string message) : Exception(message);

/// <summary>An output binding component.</summary>
internal interface IOutputBinding
{
    string Type { get; }

    /// <summary>Invokes <paramref name="operation"/>; <paramref name="goData"/> is <c>data</c> as daprd re-encoded it.</summary>
    Task<BindingResult> InvokeAsync(string operation, string goData, IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken);
}

/// <summary>Unquoting of Go-encoded JSON strings, as storage bindings do with <c>strconv.Unquote</c>.</summary>
internal static class GoJsonText
{
    /// <summary>A Go-encoded JSON string is unquoted; anything else is used as is.</summary>
    public static string Unquote(string goData)
    {
        if (goData.Length >= 2 && goData[0] == '"')
        {
            try
            {
                return JsonSerializer.Deserialize<string>(goData) ?? goData;
            }
            catch (JsonException)
            {
                return goData;
            }
        }

        return goData;
    }
}

/// <summary><c>bindings.localstorage</c> semantics (reference §4).</summary>
internal sealed class LocalStorageBinding : IOutputBinding
{
    private static readonly string[] ForbiddenRoots = ["/proc", "/sys", "/boot", "/var/run/secrets"];
    private static readonly Dictionary<string, string> NoMetadata = [];

    public LocalStorageBinding(string name, string rootPath)
    {
        var full = Path.GetFullPath(rootPath);
        if (ForbiddenRoots.Any(f => full == f || full.StartsWith(f + "/", StringComparison.Ordinal)))
        {
            throw new ArgumentException($"rootPath '{rootPath}' is not allowed for binding '{name}'", nameof(rootPath));
        }

        Directory.CreateDirectory(full);
        Name = name;
        RootPath = full;
    }

    public string Name { get; }

    public string RootPath { get; }

    public string Type => "bindings.localstorage";

    public Task<BindingResult> InvokeAsync(string operation, string goData, IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken) =>
        Task.FromResult(Invoke(operation, goData, metadata));

    private BindingResult Invoke(string operation, string goData, IReadOnlyDictionary<string, string> metadata)
    {
        metadata.TryGetValue("fileName", out var fileName);
        return operation switch
        {
            "create" => Create(goData, fileName),
            "get" => Get(fileName),
            "list" => List(fileName),
            "delete" => Delete(fileName),
            _ => throw new BindingException($"binding error: unsupported operation {operation}"),
        };
    }

    private BindingResult Create(string goData, string? fileName)
    {
        var name = string.IsNullOrEmpty(fileName) ? Guid.NewGuid().ToString() : fileName;
        var absolute = SecureJoin(name);
        var bytes = Encoding.UTF8.GetBytes(GoJsonText.Unquote(goData));
        var text = Encoding.UTF8.GetString(bytes);
        if (TryGoBase64(text, out var decoded))
        {
            bytes = decoded;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(absolute)!);
        File.WriteAllBytes(absolute, bytes);
        var response = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string> { ["fileName"] = name });
        return new BindingResult(response, NoMetadata);
    }

    private BindingResult Get(string? fileName)
    {
        if (string.IsNullOrEmpty(fileName))
        {
            throw new BindingException("required metadata 'fileName' missing");
        }

        var absolute = SecureJoin(fileName);
        if (!File.Exists(absolute))
        {
            throw new BindingException($"file not found: {absolute}");
        }

        return new BindingResult(File.ReadAllBytes(absolute), NoMetadata);
    }

    private BindingResult List(string? fileName)
    {
        var absolute = string.IsNullOrEmpty(fileName) ? RootPath : SecureJoin(fileName);
        if (!Directory.Exists(absolute))
        {
            throw new BindingException($"unable to list files as the file specified is not a directory [{absolute}]");
        }

        var files = Directory.EnumerateFiles(absolute, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
        return new BindingResult(JsonSerializer.SerializeToUtf8Bytes(files), NoMetadata);
    }

    private BindingResult Delete(string? fileName)
    {
        if (string.IsNullOrEmpty(fileName))
        {
            throw new BindingException("required metadata 'fileName' missing");
        }

        var absolute = SecureJoin(fileName);
        if (!File.Exists(absolute))
        {
            throw new BindingException($"file not found: {absolute}");
        }

        File.Delete(absolute);
        return new BindingResult(null, NoMetadata);
    }

    /// <summary>Joins under the root, resolving <c>..</c> as if the root were <c>/</c> (never escapes the root).</summary>
    private string SecureJoin(string relative)
    {
        var cleaned = DaprPath.Clean("/" + relative.Replace('\\', '/'));
        return cleaned == "/" ? RootPath : RootPath + cleaned;
    }

    /// <summary>Go's <c>base64.StdEncoding.DecodeString</c>: padded standard alphabet, CR/LF ignored.</summary>
    private static bool TryGoBase64(string text, out byte[] decoded)
    {
        decoded = [];
        var stripped = text.Replace("\r", string.Empty, StringComparison.Ordinal).Replace("\n", string.Empty, StringComparison.Ordinal);
        if (stripped.Length % 4 != 0)
        {
            return false;
        }

        foreach (var c in stripped)
        {
            if (c is not ((>= 'A' and <= 'Z') or (>= 'a' and <= 'z') or (>= '0' and <= '9') or '+' or '/' or '='))
            {
                return false;
            }
        }

        var buffer = new byte[stripped.Length / 4 * 3];
        if (!Convert.TryFromBase64String(stripped, buffer, out var written))
        {
            return false;
        }

        decoded = buffer[..written];
        return true;
    }
}
