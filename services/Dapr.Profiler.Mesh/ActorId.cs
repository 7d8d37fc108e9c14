namespace Dapr.Profiler.Mesh;

/// <summary>
/// The identity of one actor within its type, as in the Dapr SDK. Ids are non-empty and hold none of the characters
/// Dapr rejects in actor URLs (<c>/ \ # ?</c> or control characters), so every id is valid in every mesh mode.
/// </summary>
public readonly record struct ActorId
{
    private readonly string? _id;

    /// <exception cref="ArgumentException">The id is empty or holds a character Dapr rejects.</exception>
    public ActorId(string id)
    {
        ActorNames.Validate(id, nameof(id), "actor id");
        _id = id;
    }

    /// <summary>The id; empty only for <c>default(ActorId)</c>, which no runtime accepts.</summary>
    public string Id => _id ?? string.Empty;

    /// <summary>The id (the Dapr SDK's name for <see cref="Id"/>).</summary>
    public string GetId() => Id;

    public override string ToString() => Id;
}

/// <summary>The character rules shared by actor types, ids, and reminder and timer names.</summary>
internal static class ActorNames
{
    public static void Validate(string value, string paramName, string what)
    {
        ArgumentException.ThrowIfNullOrEmpty(value, paramName);
        foreach (var c in value)
        {
            if (c is '/' or '\\' or '#' or '?' || char.IsControl(c))
            {
                throw new ArgumentException($"the {what} \"{value}\" contains '{c}'; Dapr rejects / \\ # ? and control characters", paramName);
            }
        }
    }
}
