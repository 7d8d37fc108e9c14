namespace Dapr.Profiler.Model;

/// <summary>
/// A label selector could not be parsed. <see cref="Position"/> is the 0-based character offset of the offending
/// character in the parsed text (the text length when the input ended too early); the message repeats it as
/// <c>parse error at char N: ...</c>.
/// </summary>
public sealed class SelectorParseException : FormatException
{
    public SelectorParseException()
        : this(0, "invalid label selector")
    {
    }

    public SelectorParseException(string message)
        : base(message)
    {
        Reason = message;
    }

    public SelectorParseException(string message, Exception innerException)
        : base(message, innerException)
    {
        Reason = message;
    }

    public SelectorParseException(int position, string reason)
        : base($"parse error at char {position}: {reason}")
    {
        Position = position;
        Reason = reason;
    }

    /// <summary>0-based character offset of the offending character.</summary>
    public int Position { get; }

    /// <summary>The message without the position prefix, e.g. <c>unexpected "}" (expected label value string)</c>.</summary>
    public string Reason { get; }
}
