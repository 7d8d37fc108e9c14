
namespace Dapr.Profiler.Model.Tests;

public sealed class LabelSelectorTests
{
    private static LabelSet Labels(params (string Name, string Value)[] labels) =>
        LabelSet.Create(labels.Select(l => new LabelPair(l.Name, l.Value)));

    [Theory]
    [InlineData("{}", "{}")]
    [InlineData("  {  }  ", "{}")]
    [InlineData("{a=\"b\"}", "{a=\"b\"}")]
    [InlineData("{a=\"b\",}", "{a=\"b\"}")]
    [InlineData("{ a = \"b\" , c =~ \"re\" ,\n\td != \"x\", e!~\"y\" , }", "{a=\"b\", c=~\"re\", d!=\"x\", e!~\"y\"}")]
    [InlineData("{__profile_type__=\"p\", __name__=\"n\", _x9=\"\"}", "{__profile_type__=\"p\", __name__=\"n\", _x9=\"\"}")]
    [InlineData("{a='it''s'}", null)]
    [InlineData("{a='say \"hi\"'}", "{a=\"say \\\"hi\\\"\"}")]
    [InlineData("{a=`raw\\n\"`}", "{a=\"raw\\\\n\\\"\"}")]
    [InlineData("{b=\"2\", a=\"1\", b=\"3\"}", "{b=\"2\", a=\"1\", b=\"3\"}")]
    public void Parse_accepts_promql_syntax_and_prints_canonical_form(string text, string? expected)
    {
        if (expected is null)
        {
            Assert.False(LabelSelector.TryParse(text, out _, out var error));
            Assert.NotNull(error);
            return;
        }

        var selector = LabelSelector.Parse(text);
        Assert.Equal(expected, selector.ToString());
        Assert.Equal(selector, LabelSelector.Parse(selector.ToString()));
    }

    [Theory]
    [InlineData("\"a\\\"b\"", "a\"b")]
    [InlineData("\"a\\\\b\"", "a\\b")]
    [InlineData("\"\\n\\t\\r\\a\\b\\f\\v\"", "\n\t\r\a\b\f\v")]
    [InlineData("\"\\x41\\101\"", "AA")]
    [InlineData("\"\\xe2\\x82\\xac\"", "€")]
    [InlineData("\"\\u00e9\\U0001F600\"", "é😀")]
    [InlineData("'\\''", "'")]
    [InlineData("'\"'", "\"")]
    [InlineData("\"'\"", "'")]
    [InlineData("`\\x`", "\\x")]
    [InlineData("`multi\nline`", "multi\nline")]
    [InlineData("\"日本\"", "日本")]
    public void Values_decode_go_escapes(string literal, string expected)
    {
        var selector = LabelSelector.Parse("{a=" + literal + "}");
        Assert.Equal(expected, selector.Matchers[0].Value);
    }

    [Theory]
    [InlineData("", 0, "unexpected end of input (expected \"{\")")]
    [InlineData("   ", 3, "unexpected end of input (expected \"{\")")]
    [InlineData("a=\"b\"}", 0, "unexpected \"a\" (expected \"{\")")]
    [InlineData("{a=\"b}", 3, "unterminated quoted string")]
    [InlineData("{a=\"b\", c='d}", 10, "unterminated quoted string")]
    [InlineData("{a=`b}", 3, "unterminated quoted string")]
    [InlineData("{a=\"b\nc\"}", 5, "newline in quoted string")]
    [InlineData("{a \"b\"}", 3, "unexpected \"\\\"\" (expected label matcher operator =, !=, =~ or !~)")]
    [InlineData("{a!\"b\"}", 3, "unexpected \"\\\"\" (expected \"=\" or \"~\" after \"!\")")]
    [InlineData("{1a=\"b\"}", 1, "unexpected \"1\" (expected label name)")]
    [InlineData("{a=\"b\", 1=\"c\"}", 8, "unexpected \"1\" (expected label name or \"}\")")]
    [InlineData("{a.b=\"c\"}", 2, "unexpected \".\" (expected label matcher operator =, !=, =~ or !~)")]
    [InlineData("{a=\"b\"", 6, "unexpected end of input (expected \",\" or \"}\")")]
    [InlineData("{a=\"b\" c=\"d\"}", 7, "unexpected \"c\" (expected \",\" or \"}\")")]
    [InlineData("{a=\"b\",,}", 7, "unexpected \",\" (expected label name or \"}\")")]
    [InlineData("{a=}", 3, "unexpected \"}\" (expected label value string)")]
    [InlineData("{a=b}", 3, "unexpected \"b\" (expected label value string)")]
    [InlineData("{a=\"b\"} x", 8, "unexpected \"x\" (expected end of input)")]
    [InlineData("{}{}", 2, "unexpected \"{\" (expected end of input)")]
    [InlineData("{a=\"\\q\"}", 4, "unknown escape sequence \"\\q\"")]
    [InlineData("{a=\"x\\x4g\"}", 5, "invalid escape sequence")]
    [InlineData("{a=\"\\400\"}", 4, "octal escape value > 255")]
    [InlineData("{a=\"ok\\xff\"}", 6, "byte escapes do not form valid UTF-8")]
    [InlineData("{a=\"\\ud800\"}", 4, "escape sequence is an invalid Unicode code point")]
    [InlineData("{a='\\\"'}", 4, "unknown escape sequence \"\\\"\"")]
    public void Parse_errors_point_at_the_offending_character(string text, int position, string reason)
    {
        var ex = Assert.Throws<SelectorParseException>(() => LabelSelector.Parse(text));
        Assert.Equal(position, ex.Position);
        Assert.Equal(reason, ex.Reason);
        Assert.Equal($"parse error at char {position}: {reason}", ex.Message);
    }

    [Theory]
    [InlineData("{a=~\"(\"}", 4)]
    [InlineData("{a=\"ok\", bb !~ \"[z-a]\"}", 15)]
    [InlineData("{a=~\"a)|(b\"}", 4)]
    [InlineData("{a=~'*'}", 4)]
    public void Invalid_regex_is_a_parse_error_at_the_value(string text, int position)
    {
        Assert.False(LabelSelector.TryParse(text, out var selector, out var error));
        Assert.Null(selector);
        Assert.Equal(position, error.Position);
        Assert.StartsWith("invalid regular expression", error.Reason, StringComparison.Ordinal);
        Assert.IsType<FormatException>(error, exactMatch: false);
    }

    [Fact]
    public void Equality_matchers_treat_a_missing_label_as_empty()
    {
        var none = LabelSet.Empty;
        var withA = Labels(("a", "x"));
        var emptyA = Labels(("a", ""));

        Assert.True(LabelSelector.Parse("{a=\"\"}").Matches(none));
        Assert.True(LabelSelector.Parse("{a=\"\"}").Matches(emptyA));
        Assert.False(LabelSelector.Parse("{a=\"\"}").Matches(withA));
        Assert.False(LabelSelector.Parse("{a!=\"\"}").Matches(none));
        Assert.True(LabelSelector.Parse("{a!=\"\"}").Matches(withA));
        Assert.True(LabelSelector.Parse("{a=~\".*\"}").Matches(none));
        Assert.False(LabelSelector.Parse("{a=~\".+\"}").Matches(none));
        Assert.True(LabelSelector.Parse("{a!~\".+\"}").Matches(none));
        Assert.True(LabelSelector.Parse("{b!=\"x\"}").Matches(withA));
        Assert.True(LabelSelector.All.Matches(none));
        Assert.True(LabelSelector.All.Matches(withA));
    }

    [Fact]
    public void Regexes_are_fully_anchored()
    {
        var selector = LabelSelector.Parse("{a=~\"b\"}");
        Assert.True(selector.Matches(Labels(("a", "b"))));
        Assert.False(selector.Matches(Labels(("a", "abc"))));
        Assert.False(selector.Matches(Labels(("a", "ab"))));
        Assert.False(selector.Matches(Labels(("a", "b\n"))));
        Assert.True(LabelSelector.Parse("{a!~\"b\"}").Matches(Labels(("a", "abc"))));
        Assert.True(LabelSelector.Parse("{a=~\"x|y\"}").Matches(Labels(("a", "y"))));
        Assert.False(LabelSelector.Parse("{a=~\"x|y\"}").Matches(Labels(("a", "xy"))));
        Assert.True(LabelSelector.Parse("{a=~\"web-.*\"}").Matches(Labels(("a", "web-1"))));
    }

    [Fact]
    public void All_matchers_must_match()
    {
        var selector = LabelSelector.Parse("{service_name=\"app\", pod=~\"web-.*\", env!=\"dev\"}");
        Assert.True(selector.Matches(Labels(("service_name", "app"), ("pod", "web-1"), ("env", "prod"))));
        Assert.True(selector.Matches(Labels(("service_name", "app"), ("pod", "web-1"))));
        Assert.False(selector.Matches(Labels(("service_name", "app"), ("pod", "web-1"), ("env", "dev"))));
        Assert.False(selector.Matches(Labels(("service_name", "other"), ("pod", "web-1"))));
        Assert.False(selector.Matches(Labels(("service_name", "app"), ("pod", "db-1"))));
    }

    [Fact]
    public void GetEqualValue_returns_only_strict_equality_values()
    {
        var selector = LabelSelector.Parse("{service_name=~\"a.*\", service_name=\"app\", env!=\"x\", empty=\"\"}");
        Assert.Equal("app", selector.GetEqualValue("service_name"));
        Assert.Null(selector.GetEqualValue("env"));
        Assert.Null(selector.GetEqualValue("missing"));
        Assert.Equal(string.Empty, selector.GetEqualValue("empty"));
        Assert.Null(LabelSelector.All.GetEqualValue("service_name"));
    }

    [Theory]
    [InlineData("process_cpu:cpu:nanoseconds:cpu:nanoseconds{service_name=\"app\"}", "process_cpu:cpu:nanoseconds:cpu:nanoseconds", "{service_name=\"app\"}")]
    [InlineData("  memory:alloc_space:bytes:space:bytes {} ", "memory:alloc_space:bytes:space:bytes", "{}")]
    [InlineData("my-app.cpu{a=\"b\",}", "my-app.cpu", "{a=\"b\"}")]
    [InlineData("{a=\"b\"}", "", "{a=\"b\"}")]
    [InlineData("app.cpu", "app.cpu", "{}")]
    public void ParseWithPrefix_splits_metric_name_and_selector(string text, string prefix, string selector)
    {
        var (actualPrefix, actualSelector) = LabelSelector.ParseWithPrefix(text);
        Assert.Equal(prefix, actualPrefix);
        Assert.Equal(selector, actualSelector.ToString());
    }

    [Theory]
    [InlineData("", 0, "unexpected end of input (expected metric name or \"{\")")]
    [InlineData("cpu!{}", 3, "unexpected \"!\" (expected metric name or \"{\")")]
    [InlineData("cpu x{}", 4, "unexpected \"x\" (expected \"{\")")]
    [InlineData("cpu{a=\"b\"", 9, "unexpected end of input (expected \",\" or \"}\")")]
    [InlineData("cpu{} {}", 6, "unexpected \"{\" (expected end of input)")]
    public void ParseWithPrefix_errors_point_at_the_offending_character(string text, int position, string reason)
    {
        var ex = Assert.Throws<SelectorParseException>(() => LabelSelector.ParseWithPrefix(text));
        Assert.Equal(position, ex.Position);
        Assert.Equal(reason, ex.Reason);
    }

    [Theory]
    [InlineData(MatchType.Equal, "va\"lue", "name=\"va\\\"lue\"")]
    [InlineData(MatchType.NotEqual, "a\\b\nc", "name!=\"a\\\\b\\nc\"")]
    [InlineData(MatchType.Regex, "va\"lue", "name=~\"va\\\"lue\"")]
    [InlineData(MatchType.NotRegex, "\\d+\t\u0001\u007f", "name!~\"\\\\d+\\t\\x01\\x7f\"")]
    public void Matcher_ToString_escapes_and_round_trips(MatchType type, string value, string expected)
    {
        var matcher = new LabelMatcher("name", type, value);
        Assert.Equal(expected, matcher.ToString());
        Assert.Equal(matcher, LabelSelector.Parse("{" + matcher + "}").Matchers[0]);
    }

    [Fact]
    public void Matcher_constructor_validates_name_and_regex()
    {
        Assert.Throws<ArgumentException>(() => new LabelMatcher("1a", MatchType.Equal, "x"));
        Assert.Throws<ArgumentException>(() => new LabelMatcher(string.Empty, MatchType.Equal, "x"));
        Assert.Throws<ArgumentException>(() => new LabelMatcher("a", MatchType.Regex, "("));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LabelMatcher("a", (MatchType)42, "x"));
        Assert.True(new LabelMatcher("a", MatchType.Equal, "(").Matches("("));
        Assert.True(new LabelMatcher("a", MatchType.NotRegex, "x").Matches(null));
    }

    [Fact]
    public void Catastrophic_regex_runs_in_linear_time()
    {
        // With a backtracking engine each of these takes exponential time in the value's length.
        var watch = System.Diagnostics.Stopwatch.StartNew();
        foreach (var pattern in new[] { "(a+)+b", "(a|aa)+b", "(.*a){20}" })
        {
            var matcher = new LabelMatcher("a", MatchType.Regex, pattern);
            for (var i = 0; i < 1000; i++)
            {
                Assert.False(matcher.Matches(new string('a', 40) + "c"));
            }
        }

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"3000 hostile matches took {watch.Elapsed}");
    }

    [Fact]
    public void Regex_dot_matches_newlines_as_in_prometheus_and_backreferences_are_rejected()
    {
        Assert.True(LabelSelector.Parse("{a=~\"x.y\"}").Matches(LabelSet.Create(new LabelPair("a", "x\ny"))));
        Assert.Throws<SelectorParseException>(() => LabelSelector.Parse("{a=~\"(x)\\\\1\"}"));
    }
}
