using System.Globalization;
using System.Text;

namespace Dapr.Profiler.Cli.Chaos;

/// <summary>Requests per category and per status, and the rule breaks, printed as the campaign's summary.</summary>
internal sealed class ChaosReport
{
    /// <summary>The column of requests that got no HTTP answer.</summary>
    public const string NoAnswer = "none";

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private readonly Dictionary<(ChaosCategory, string), int> _counts = [];
    private readonly Lock _gate = new();

    public List<string> Failures { get; } = [];

    public void Add(ChaosOutcome outcome, int seed, string url)
    {
        var column = outcome.Status?.ToString(Inv) ?? NoAnswer;
        lock (_gate)
        {
            _counts[(outcome.Request.Category, column)] = _counts.GetValueOrDefault((outcome.Request.Category, column)) + 1;
            if (outcome.Problem is { } problem)
            {
                var message = outcome.Message.ReplaceLineEndings(" ");
                Failures.Add(string.Create(Inv,
                    $"FAIL seed {seed} · {outcome.Request.CategoryName} · request {outcome.Request.Index} ({outcome.Request.Description}): {problem}{(outcome.Status is { } s ? $" (HTTP {s})" : string.Empty)}{(message.Length > 0 ? ": " + message[..Math.Min(message.Length, 300)] : string.Empty)} · {outcome.Request.Summary()} · replay: dprof chaos ingest --url {url} --seed {seed} --only {outcome.Request.Index}"));
            }
        }
    }

    public void AddFailure(int seed, string what)
    {
        lock (_gate)
        {
            Failures.Add($"FAIL seed {seed} · {what}");
        }
    }

    /// <summary>The table: one row per category, one column per status seen, and a total row.</summary>
    public string Table()
    {
        var columns = _counts.Keys.Select(k => k.Item2).Distinct().OrderBy(c => c == NoAnswer ? int.MaxValue : int.Parse(c, Inv)).ToList();
        var text = new StringBuilder();
        text.Append(Inv, $"{"category",-16} {"requests",8}");
        foreach (var column in columns)
        {
            text.Append(Inv, $" {column,6}");
        }

        text.Append('\n');
        foreach (var category in ChaosGenerator.Categories.Append((ChaosCategory)(-1)))
        {
            var isTotal = (int)category == -1;
            int Count(string column) => _counts.Where(kv => (isTotal || kv.Key.Item1 == category) && kv.Key.Item2 == column).Sum(kv => kv.Value);
            text.Append(Inv, $"{(isTotal ? "total" : ChaosRequest.Name(category)),-16} {columns.Sum(Count),8}");
            foreach (var column in columns)
            {
                text.Append(Inv, $" {Count(column),6}");
            }

            text.Append('\n');
        }

        return text.ToString();
    }
}
