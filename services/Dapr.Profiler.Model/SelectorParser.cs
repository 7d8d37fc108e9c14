namespace Dapr.Profiler.Model;

/// <summary>
/// Recursive-descent parser for <c>{name="v", name=~"re", ...}</c>, optionally preceded by a metric name.
/// Whitespace (space, tab, CR, LF) may appear between any two tokens.
/// </summary>
internal sealed class SelectorParser
{
    private const string ExpectedLabelName = "label name";
    private const string ExpectedOperator = "label matcher operator =, !=, =~ or !~";

    private readonly string _text;
    private readonly RegexCache _regexes;
    private int _pos;

    private SelectorParser(string text, RegexCache? regexes)
    {
        _text = text;
        _regexes = regexes ?? new RegexCache();
    }

    private char? Current => _pos < _text.Length ? _text[_pos] : null;

    /// <param name="text">The selector text.</param>
    /// <param name="regexes">Compiled patterns to reuse across the selectors of one request; null: shared within this
    /// selector only (each distinct pattern is compiled once either way).</param>
    public static LabelSelector Parse(string text, RegexCache? regexes = null)
    {
        var parser = new SelectorParser(text, regexes);
        parser.SkipWhitespace();
        var selector = parser.ParseBraces();
        parser.ExpectEnd();
        return selector;
    }

    public static (string Prefix, LabelSelector Selector) ParseWithPrefix(string text, RegexCache? regexes = null)
    {
        var parser = new SelectorParser(text, regexes);
        parser.SkipWhitespace();
        var start = parser._pos;
        while (parser.Current is { } c && IsPrefixChar(c))
        {
            parser._pos++;
        }

        var prefix = text[start..parser._pos];
        var prefixEnd = parser._pos;
        parser.SkipWhitespace();
        if (parser.Current is null && prefix.Length > 0)
        {
            return (prefix, LabelSelector.All);
        }

        if (parser.Current != '{')
        {
            throw parser.Unexpected(prefix.Length == 0 || parser._pos == prefixEnd ? "metric name or \"{\"" : "\"{\"");
        }

        var selector = parser.ParseBraces();
        parser.ExpectEnd();
        return (prefix, selector);
    }

    private static bool IsPrefixChar(char c) => LabelMatcher.IsNameChar(c) || c is ':' or '.' or '-';

    private static bool IsWhitespace(char c) => c is ' ' or '\t' or '\r' or '\n';

    private LabelSelector ParseBraces()
    {
        if (Current != '{')
        {
            throw Unexpected("\"{\"");
        }

        _pos++;
        var matchers = new List<LabelMatcher>();
        SkipWhitespace();
        if (Current == '}')
        {
            _pos++;
            return new LabelSelector(matchers);
        }

        while (true)
        {
            matchers.Add(ParseMatcher(matchers.Count == 0 ? ExpectedLabelName : ExpectedLabelName + " or \"}\""));
            SkipWhitespace();
            if (Current == '}')
            {
                _pos++;
                return new LabelSelector(matchers);
            }

            if (Current != ',')
            {
                throw Unexpected("\",\" or \"}\"");
            }

            _pos++;
            SkipWhitespace();
            if (Current == '}')
            {
                _pos++;
                return new LabelSelector(matchers);
            }
        }
    }

    private LabelMatcher ParseMatcher(string expectedName)
    {
        var nameStart = _pos;
        if (Current is not { } first || !LabelMatcher.IsNameStart(first))
        {
            throw Unexpected(expectedName);
        }

        while (Current is { } c && LabelMatcher.IsNameChar(c))
        {
            _pos++;
        }

        var name = _text[nameStart.._pos];
        SkipWhitespace();
        var type = ParseOperator();
        SkipWhitespace();
        var valueStart = _pos;
        if (Current is not { } quote || !SelectorStringLiteral.IsQuote(quote))
        {
            throw Unexpected("label value string");
        }

        var value = SelectorStringLiteral.Read(_text, _pos, out _pos);
        return LabelMatcher.TryCreate(name, type, value, _regexes, out var error)
            ?? throw new SelectorParseException(
                valueStart, $"invalid regular expression {SelectorStringLiteral.Quote(value)}: {error}");
    }

    private MatchType ParseOperator()
    {
        switch (Current)
        {
            case '=':
                _pos++;
                if (Current == '~')
                {
                    _pos++;
                    return MatchType.Regex;
                }

                return MatchType.Equal;
            case '!':
                _pos++;
                switch (Current)
                {
                    case '=':
                        _pos++;
                        return MatchType.NotEqual;
                    case '~':
                        _pos++;
                        return MatchType.NotRegex;
                    default:
                        throw Unexpected("\"=\" or \"~\" after \"!\"");
                }

            default:
                throw Unexpected(ExpectedOperator);
        }
    }

    private void ExpectEnd()
    {
        SkipWhitespace();
        if (Current is not null)
        {
            throw Unexpected("end of input");
        }
    }

    private void SkipWhitespace()
    {
        while (Current is { } c && IsWhitespace(c))
        {
            _pos++;
        }
    }

    private SelectorParseException Unexpected(string expected)
    {
        string found;
        if (_pos >= _text.Length)
        {
            found = "end of input";
        }
        else
        {
            var length = char.IsHighSurrogate(_text[_pos]) && _pos + 1 < _text.Length ? 2 : 1;
            found = SelectorStringLiteral.Quote(_text.Substring(_pos, length));
        }

        return new SelectorParseException(_pos, $"unexpected {found} (expected {expected})");
    }
}
