using System.Globalization;

namespace Dapr.Profiler.Cli;

/// <summary>A command, its positional arguments and its <c>--name value</c> options.</summary>
internal sealed class Arguments
{
    private readonly Dictionary<string, string> _options = new(StringComparer.Ordinal);

    private Arguments(string command)
    {
        Command = command;
    }

    public string Command { get; }

    public List<string> Positional { get; } = [];

    public static Arguments Parse(string[] args)
    {
        var result = new Arguments(args.Length > 0 ? args[0] : string.Empty);
        for (var i = 1; i < args.Length; i++)
        {
            var arg = args[i];
            if (arg.StartsWith("--", StringComparison.Ordinal) && arg.Length > 2)
            {
                var eq = arg.IndexOf('=', StringComparison.Ordinal);
                if (eq > 0)
                {
                    result._options[arg[2..eq]] = arg[(eq + 1)..];
                }
                else if (i + 1 < args.Length)
                {
                    result._options[arg[2..]] = args[++i];
                }
                else
                {
                    throw new UsageException($"option {arg} needs a value");
                }
            }
            else
            {
                result.Positional.Add(arg);
            }
        }

        return result;
    }

    public string? Option(string name) => _options.GetValueOrDefault(name);

    public long? LongOption(string name)
    {
        var text = Option(name);
        if (text is null)
        {
            return null;
        }

        return long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new UsageException($"--{name} must be an integer, not \"{text}\"");
    }

    public string RequiredPositional(int index, string what) =>
        index < Positional.Count ? Positional[index] : throw new UsageException($"missing {what}");
}
