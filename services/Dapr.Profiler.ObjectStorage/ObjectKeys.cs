namespace Dapr.Profiler.ObjectStorage;

/// <summary>
/// The rules every object key obeys, whatever the store: a relative, <c>/</c>-separated path of non-empty segments,
/// none of them <c>.</c> or <c>..</c>, with no backslash and no control character. The rules keep a key inside a
/// filesystem root and mean the same thing to every backend, so a key valid here is valid everywhere.
/// </summary>
public static class ObjectKeys
{
    /// <summary>The longest key accepted, in characters (S3 allows 1,024 bytes).</summary>
    public const int MaxLength = 1024;

    private static readonly char[] InvalidFileNameChars = Path.GetInvalidFileNameChars();

    /// <summary>Throws <see cref="InvalidObjectKeyException"/> unless the key follows the rules.</summary>
    /// <returns>The key's segments.</returns>
    public static string[] Validate(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.Length == 0)
        {
            throw new InvalidObjectKeyException(key, "the key is empty");
        }

        if (key.Length > MaxLength)
        {
            throw new InvalidObjectKeyException(key, $"the key is longer than {MaxLength} characters");
        }

        if (key[0] == '/' || Path.IsPathRooted(key))
        {
            throw new InvalidObjectKeyException(key, "the key is an absolute path");
        }

        foreach (var c in key)
        {
            if (c == '\\')
            {
                throw new InvalidObjectKeyException(key, "the key contains a backslash");
            }

            if (char.IsControl(c))
            {
                throw new InvalidObjectKeyException(key, "the key contains a control character");
            }

            if (c != '/' && Array.IndexOf(InvalidFileNameChars, c) >= 0)
            {
                throw new InvalidObjectKeyException(key, $"the key contains '{c}', which this platform does not allow in file names");
            }
        }

        var segments = key.Split('/');
        foreach (var segment in segments)
        {
            switch (segment)
            {
                case "":
                    throw new InvalidObjectKeyException(key, "the key has an empty segment");
                case "." or "..":
                    throw new InvalidObjectKeyException(key, $"the key has a '{segment}' segment");
            }
        }

        return segments;
    }
}
