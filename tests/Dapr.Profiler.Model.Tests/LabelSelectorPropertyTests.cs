using System.Text;
using System.Text.RegularExpressions;
using FsCheck;
using FsCheck.Fluent;

namespace Dapr.Profiler.Model.Tests;

public sealed class LabelSelectorPropertyTests
{
    private static readonly string[] NamePool = ["a", "b", "service_name", "__name__", "__profile_type__", "pod_1"];

    private static readonly string[] RegexPatterns = [".*", ".+", "", "a|b", "[a-c]+", "(foo|bar)baz", "\\d*", "x?y", "(?i)app"];

    private static readonly string[] SpecialStrings =
        ["\"", "\\", "\n", "\r", "\t", "'", "`", "\0", "\u007f", "é", "€", "😀", "\ud800", "{", "}", ",", "=~", " "];

    private static Config Config => Config.QuickThrowOnFailure.WithMaxTest(500);

    /// <summary>A matcher with, for regexes built from an escaped literal, the literal it stands for.</summary>
    private sealed record Spec(LabelMatcher Matcher, string? Literal);

    private sealed record Case(Spec[] Specs, LabelSet[] LabelSets)
    {
        public LabelSelector Selector => new(Specs.Select(s => s.Matcher));

        public override string ToString() =>
            $"{Selector} against [{string.Join(", ", LabelSets.Select(l => l.ToString()))}]";
    }

    private static Gen<string> NameGen()
    {
        const string first = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_";
        const string rest = first + "0123456789";
        var random =
            from head in Gen.Elements(first.ToCharArray())
            from tail in Gen.Elements(rest.ToCharArray()).ArrayOf()
            select head + new string(tail);
        return Gen.Frequency((2, Gen.Elements(NamePool)), (1, random));
    }

    private static Gen<string> ValueGen()
    {
        var codePoint = Gen.Choose(0, 0x10ffff)
            .Where(c => c is < 0xd800 or > 0xdfff)
            .Select(char.ConvertFromUtf32);
        var ascii = Gen.Choose(0x20, 0x7e).Select(c => ((char)c).ToString());
        var piece = Gen.Frequency((4, ascii), (2, Gen.Elements(SpecialStrings)), (2, codePoint));
        return piece.ListOf().Select(pieces => string.Concat(pieces));
    }

    private static Gen<Spec> SpecGen() =>
        from name in NameGen()
        from type in Gen.Elements(MatchType.Equal, MatchType.NotEqual, MatchType.Regex, MatchType.NotRegex)
        from value in ValueGen()
        from pattern in Gen.Elements(RegexPatterns)
        from useLiteral in Gen.Elements(true, true, false)
        select type is MatchType.Equal or MatchType.NotEqual
            ? new Spec(new LabelMatcher(name, type, value), value)
            : useLiteral
                ? new Spec(new LabelMatcher(name, type, Regex.Escape(value)), value)
                : new Spec(new LabelMatcher(name, type, pattern), null);

    private static Gen<LabelSet> LabelSetGen(Spec[] specs)
    {
        var names = specs.Select(s => s.Matcher.Name).Concat(NamePool).Distinct(StringComparer.Ordinal).ToArray();
        // Matcher values, and near misses that only an anchored regex rejects.
        var interesting = specs.Select(s => s.Literal ?? "foobaz")
            .SelectMany(v => new[] { v, v, v + "\n", "x" + v, v + "x" })
            .Concat(["", "a", "app", "APP", "123"])
            .ToArray();
        var value = Gen.Frequency((2, Gen.Constant<string?>(null)), (3, Gen.Elements(interesting).Select(v => (string?)v)), (1, ValueGen().Select(v => (string?)v)));
        return Gen.CollectToArray(names.Select(_ => value)).Select(values =>
            LabelSet.Create(names.Zip(values).Where(p => p.Second is not null).Select(p => new LabelPair(p.First, p.Second!))));
    }

    private static Gen<Case> CaseGen() =>
        from specs in SpecGen().ListOf().Select(l => l.ToArray())
        from sets in LabelSetGen(specs).ArrayOf()
        select new Case(specs, sets);

    private static bool Expected(Spec spec, string? actual)
    {
        var value = actual ?? string.Empty;
        return spec.Matcher.Type switch
        {
            MatchType.Equal or MatchType.Regex => string.Equals(value, spec.Literal, StringComparison.Ordinal),
            _ => !string.Equals(value, spec.Literal, StringComparison.Ordinal),
        };
    }

    [Fact]
    public void Printed_selectors_parse_back_to_equal_selectors_that_match_the_same_labels()
    {
        var property = Prop.ForAll(Arb.From(CaseGen()), c =>
        {
            var selector = c.Selector;
            var text = selector.ToString();
            var parsed = LabelSelector.Parse(text);
            var sameMatchers = parsed.Matchers.Count == selector.Matchers.Count
                && parsed.Matchers.Zip(selector.Matchers).All(p =>
                    p.First.Name == p.Second.Name && p.First.Type == p.Second.Type && p.First.Value == p.Second.Value);
            var sameMatches = c.LabelSets.All(l => parsed.Matches(l) == selector.Matches(l));
            return (parsed.Equals(selector) && sameMatchers && sameMatches && parsed.ToString() == text)
                .Label($"printed: {text}");
        });
        Check.One(Config, property);
    }

    [Fact]
    public void Matching_agrees_with_literal_comparison_for_equality_and_escaped_literal_regexes()
    {
        var property = Prop.ForAll(Arb.From(CaseGen()), c =>
        {
            var literalSpecs = c.Specs.Where(s => s.Literal is not null).ToArray();
            var selector = new LabelSelector(literalSpecs.Select(s => s.Matcher));
            return c.LabelSets.All(labels =>
                selector.Matches(labels) == literalSpecs.All(s => Expected(s, labels.Get(s.Matcher.Name))));
        });
        Check.One(Config, property);
    }

    [Fact]
    public void Values_written_with_any_quote_style_parse_to_the_same_value()
    {
        var property = Prop.ForAll(Arb.From(ValueGen()), value =>
        {
            var doubleQuoted = new LabelMatcher("a", MatchType.Equal, value).ToString()["a=".Length..];
            var singleQuoted = "'" + Escape(value, '\'') + "'";
            var fromDouble = LabelSelector.Parse("{a=" + doubleQuoted + "}").Matchers[0].Value;
            var fromSingle = LabelSelector.Parse("{a=" + singleQuoted + "}").Matchers[0].Value;
            var rawOk = value.Contains('`', StringComparison.Ordinal)
                || LabelSelector.Parse("{a=`" + value + "`}").Matchers[0].Value == value;
            return fromDouble == value && fromSingle == value && rawOk;
        });
        Check.One(Config, property);
    }

    [Fact]
    public void Truncated_selector_text_fails_with_a_position_inside_the_text()
    {
        var property = Prop.ForAll(Arb.From(CaseGen().Where(c => c.Specs.Length > 0)), c =>
        {
            var text = c.Selector.ToString();
            var truncated = text[..^1];
            return !LabelSelector.TryParse(truncated, out _, out var error)
                && error.Position >= 0 && error.Position <= truncated.Length;
        });
        Check.One(Config, property);
    }

    /// <summary>Escapes with \u and \x escapes only, to exercise the decoder differently from ToString.</summary>
    private static string Escape(string value, char quote)
    {
        var invariant = System.Globalization.CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        var i = 0;
        while (i < value.Length)
        {
            if (!Rune.TryGetRuneAt(value, i, out var rune))
            {
                // An unpaired surrogate has no escape; it is kept as it is.
                sb.Append(value[i]);
                i++;
                continue;
            }

            i += rune.Utf16SequenceLength;

            if (rune.Value == quote || rune.Value == '\\' || rune.Value < 0x20 || rune.Value == 0x7f)
            {
                sb.Append("\\x").Append(rune.Value.ToString("x2", invariant));
            }
            else if (rune.Value > 0xffff)
            {
                sb.Append("\\U").Append(rune.Value.ToString("X8", invariant));
            }
            else if (Rune.IsLetter(rune) && rune.Value > 0x7f)
            {
                sb.Append("\\u").Append(rune.Value.ToString("x4", invariant));
            }
            else
            {
                sb.Append(rune.ToString());
            }
        }

        return sb.ToString();
    }
}
