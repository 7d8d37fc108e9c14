using System.Text.Json;
using System.Text.Json.Serialization;

namespace Dapr.Profiler.Mesh;

/// <summary>A reminder as saved: its registration, and the next time it fires (absolute, UTC).</summary>
internal sealed record PersistedReminder(
    string ActorType,
    string ActorId,
    string Name,
    byte[]? Data,
    TimeSpan DueTime,
    TimeSpan Period,
    DateTimeOffset NextFireUtc,
    Guid Registration);

/// <summary>
/// Every reminder of the runtime in one JSON file, <c>{dataDir}/actors/reminders.json</c>
/// (<c>{"version":1,"reminders":[…]}</c>), rewritten atomically on every change. Callers serialise writes.
/// </summary>
internal sealed class ReminderStore(string path)
{
    private const int FormatVersion = 1;
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public string Path { get; } = path;

    public async Task<IReadOnlyList<PersistedReminder>> LoadAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(Path))
        {
            return [];
        }

        await using var stream = File.OpenRead(Path);
        var file = await JsonSerializer.DeserializeAsync<ReminderFile>(stream, JsonOptions, cancellationToken)
            ?? throw new InvalidDataException($"{Path} is empty");
        if (file.Version != FormatVersion)
        {
            throw new InvalidDataException($"{Path} has format version {file.Version}; this build reads version {FormatVersion}");
        }

        return file.Reminders;
    }

    public Task SaveAsync(IReadOnlyList<PersistedReminder> reminders, CancellationToken cancellationToken)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(new ReminderFile(FormatVersion, reminders), JsonOptions);
        return AtomicFile.WriteAsync(Path, bytes, cancellationToken);
    }

    private sealed record ReminderFile(
        [property: JsonPropertyName("version")] int Version,
        [property: JsonPropertyName("reminders")] IReadOnlyList<PersistedReminder> Reminders);
}
