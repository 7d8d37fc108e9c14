namespace Dapr.Profiler.Model;

/// <summary>
/// The <c>name</c> parameter of Pyroscope's <c>/ingest</c>: <c>app.name{k=v,k2=v2}</c>. The text before
/// <c>{</c> is the application name; tags are unquoted, keys and values trimmed.
/// </summary>
public sealed record IngestName(string AppName, IReadOnlyList<LabelPair> Tags)
{
    /// <exception cref="InvalidLabelsException">The name is empty or uses characters Pyroscope does not allow.</exception>
    public static IngestName Parse(string? text)
    {
        text = text?.Trim() ?? string.Empty;
        var brace = text.IndexOf('{', StringComparison.Ordinal);
        var app = (brace < 0 ? text : text[..brace]).Trim();
        var tags = new List<LabelPair>();
        if (brace >= 0)
        {
            var end = text.LastIndexOf('}');
            var body = end > brace ? text[(brace + 1)..end] : text[(brace + 1)..];
            foreach (var part in body.Split(','))
            {
                var eq = part.IndexOf('=', StringComparison.Ordinal);
                if (eq < 0)
                {
                    // Pyroscope ignores a tag without '='.
                    continue;
                }

                var key = part[..eq].Trim();
                var value = part[(eq + 1)..].Trim();
                if (key.Length == 0)
                {
                    throw new InvalidLabelsException("name: label name is required");
                }

                if (key == LabelNames.MetricName)
                {
                    tags.Add(new LabelPair(key, value));
                    continue;
                }

                foreach (var c in key)
                {
                    if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or '.'))
                    {
                        throw new InvalidLabelsException($"name: invalid label name: {key}: character is not allowed: '{c}'");
                    }
                }

                tags.Add(new LabelPair(key, value));
            }
        }

        if (app.Length == 0)
        {
            throw new InvalidLabelsException("name: service name is required");
        }

        foreach (var c in app)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-' or '/'))
            {
                throw new InvalidLabelsException($"name: invalid service name: {app}: character is not allowed: '{c}'");
            }
        }

        return new IngestName(app, tags);
    }

    /// <summary>The value of a tag, or null.</summary>
    public string? Tag(string key)
    {
        foreach (var tag in Tags)
        {
            if (tag.Name == key)
            {
                return tag.Value;
            }
        }

        return null;
    }
}
