using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Dapr.Profiler.Mesh;

/// <summary>One change of an actor's state: a new raw JSON value, or null to delete the key.</summary>
internal readonly record struct ActorStateChange(string Key, byte[]? Value);

/// <summary>
/// Where actor state lives, keyed by (type, id, key) with raw JSON values, like Dapr's actor state API
/// (<c>GET …/state/{key}</c>, transactional <c>POST …/state</c>). Used only inside the actor's turns.
/// </summary>
internal interface IActorStateStore
{
    Task<byte[]?> GetAsync(string actorType, ActorId id, string key, CancellationToken cancellationToken);

    /// <summary>Applies the changes of one actor atomically.</summary>
    Task SaveAsync(string actorType, ActorId id, IReadOnlyList<ActorStateChange> changes, CancellationToken cancellationToken);
}

/// <summary>
/// Actor state in files: <c>{root}/{type}/{id}.json</c> = <c>{"actorType":…,"actorId":…,"state":{key: value}}</c>,
/// replaced atomically on every save and removed when empty. Type and id are escaped into file names
/// (<see cref="FileName"/>). No locking: the single-activation guarantee means one writer per file.
/// </summary>
internal sealed class FileActorStateStore(string root) : IActorStateStore
{
    private const int MaxEscapedLength = 120;

    public string Root { get; } = root;

    public async Task<byte[]?> GetAsync(string actorType, ActorId id, string key, CancellationToken cancellationToken)
    {
        var state = await LoadAsync(actorType, id, cancellationToken);
        return state.GetValueOrDefault(key);
    }

    public async Task SaveAsync(string actorType, ActorId id, IReadOnlyList<ActorStateChange> changes, CancellationToken cancellationToken)
    {
        var state = await LoadAsync(actorType, id, cancellationToken);
        foreach (var change in changes)
        {
            if (change.Value is null)
            {
                state.Remove(change.Key);
            }
            else
            {
                state[change.Key] = change.Value;
            }
        }

        var path = PathOf(actorType, id);
        if (state.Count == 0)
        {
            if (File.Exists(path))
            {
                AtomicFile.Delete(path);
            }

            return;
        }

        var buffer = new MemoryStream();
        await using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writer.WriteString("actorType", actorType);
            writer.WriteString("actorId", id.Id);
            writer.WriteStartObject("state");
            foreach (var (key, value) in state.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                writer.WritePropertyName(key);
                writer.WriteRawValue(value, skipInputValidation: false);
            }

            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        await AtomicFile.WriteAsync(path, buffer.GetBuffer().AsMemory(0, (int)buffer.Length), cancellationToken);
    }

    private async Task<Dictionary<string, byte[]>> LoadAsync(string actorType, ActorId id, CancellationToken cancellationToken)
    {
        var state = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        byte[] bytes;
        try
        {
            bytes = await File.ReadAllBytesAsync(PathOf(actorType, id), cancellationToken);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return state;
        }

        using var document = JsonDocument.Parse(bytes);
        foreach (var property in document.RootElement.GetProperty("state").EnumerateObject())
        {
            state[property.Name] = Encoding.UTF8.GetBytes(property.Value.GetRawText());
        }

        return state;
    }

    private string PathOf(string actorType, ActorId id) => Path.Join(Root, FileName(actorType), FileName(id.Id) + ".json");

    /// <summary>
    /// A file name for any type or id: ASCII letters, digits, <c>-</c> and <c>_</c> are kept, every other UTF-8
    /// byte becomes <c>%XX</c> (so no name is <c>.</c>, <c>..</c> or hidden); names longer than 120 characters
    /// become <c>~</c> + the SHA-256 of the value (the file itself holds the real type and id).
    /// </summary>
    internal static string FileName(string value)
    {
        var builder = new StringBuilder(value.Length);
        foreach (var b in Encoding.UTF8.GetBytes(value))
        {
            if (b is (>= (byte)'a' and <= (byte)'z') or (>= (byte)'A' and <= (byte)'Z') or (>= (byte)'0' and <= (byte)'9') or (byte)'-' or (byte)'_')
            {
                builder.Append((char)b);
            }
            else
            {
                builder.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return builder.Length <= MaxEscapedLength
            ? builder.ToString()
            : "~" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)));
    }
}
