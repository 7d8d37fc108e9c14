namespace Dapr.Profiler.Model;

/// <summary>
/// The base of every error caused by a bad profile. The message is written for the sender of the profile;
/// an API edge turns it into a 4xx answer.
/// </summary>
public abstract class ProfileException : Exception
{
    protected ProfileException(string message)
        : base(message)
    {
    }

    protected ProfileException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>The bytes are not a profile: broken gzip, broken protobuf, or a broken text format.</summary>
public sealed class MalformedProfileException : ProfileException
{
    public MalformedProfileException(string message)
        : base(message)
    {
    }

    public MalformedProfileException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>The profile decodes but breaks a rule of the format (dangling ids, bad string indexes, ...).</summary>
public sealed class InvalidProfileException : ProfileException
{
    public InvalidProfileException(string message)
        : base(message)
    {
    }
}

/// <summary>The profile is larger than a configured limit.</summary>
public sealed class ProfileTooLargeException : ProfileException
{
    public ProfileTooLargeException(string limitName, long limit, string message)
        : base(message)
    {
        LimitName = limitName;
        Limit = limit;
    }

    /// <summary>The name of the option that set the limit.</summary>
    public string LimitName { get; }

    public long Limit { get; }
}

/// <summary>The labels of a profile break a rule or a limit (names, lengths, counts, required labels).</summary>
public sealed class InvalidLabelsException : ProfileException
{
    public InvalidLabelsException(string message)
        : base(message)
    {
    }
}
