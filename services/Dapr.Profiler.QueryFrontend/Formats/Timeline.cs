using Dapr.Profiler.Protos.Types;

namespace Dapr.Profiler.QueryFrontend;

/// <summary>A flamebearer timeline: one sample per step from <see cref="StartTime"/> (Unix seconds).</summary>
internal sealed record Timeline(long StartTime, ulong[] Samples, long DurationDelta)
{
    /// <summary>The number of points the render API aims for (Pyroscope's <c>DefaultRes</c>).</summary>
    private const long Resolution = 1500;

    /// <summary>The smallest step (Pyroscope's <c>DefaultMinInterval</c>).</summary>
    private const long MinIntervalMs = 15_000;

    /// <summary>Upper bounds (ms) of the interval ladder and the step (ms) each rounds to, as Grafana's intervalv2.</summary>
    private static readonly (long Bound, long Step)[] Ladder =
    [
        (10, 1), (15, 10), (35, 20), (75, 50), (150, 100), (350, 200), (750, 500), (1_500, 1_000), (3_500, 2_000),
        (7_500, 5_000), (12_500, 10_000), (17_500, 15_000), (25_000, 20_000), (45_000, 30_000), (90_000, 60_000),
        (210_000, 120_000), (450_000, 300_000), (750_000, 600_000), (1_050_000, 900_000), (1_500_000, 1_200_000),
        (2_700_000, 1_800_000), (5_400_000, 3_600_000), (9_000_000, 7_200_000), (16_200_000, 10_800_000),
        (32_400_000, 21_600_000), (86_400_000, 43_200_000), (172_800_000, 86_400_000), (604_800_000, 86_400_000),
        (1_814_400_000, 604_800_000),
    ];

    /// <summary>
    /// Pyroscope's <c>CalcPointInterval</c>: (until − from) / 1500, at least 15 s, rounded to the ladder
    /// 15 s, 20 s, 30 s, 1 m, 2 m, 5 m, 10 m, 15 m, 20 m, 30 m, 1 h, 2 h, 3 h, 6 h, 12 h, 24 h, 1 w, 30 d, 1 y.
    /// </summary>
    /// <returns>The step in seconds.</returns>
    public static double CalcPointInterval(long fromMs, long untilMs)
    {
        // In nanoseconds, as Go's time.Duration, so the ladder bounds compare exactly.
        const long NanosPerMs = 1_000_000;
        var interval = (Int128)(untilMs - fromMs) * NanosPerMs / Resolution;
        if (interval < MinIntervalMs * NanosPerMs)
        {
            return MinIntervalMs / 1000.0;
        }

        foreach (var (bound, step) in Ladder)
        {
            if (interval <= (Int128)bound * NanosPerMs)
            {
                return step / 1000.0;
            }
        }

        return interval < (Int128)3_628_800_000 * NanosPerMs ? 2_592_000 : 31_536_000;
    }

    /// <summary>
    /// Pyroscope's <c>timeline.New</c>: start and end are snapped down to a step boundary, the timeline has one
    /// sample per step over [start, end) (zero where the series has no point), and a point at timestamp t fills the
    /// sample (t − start) / step. Values are truncated to whole numbers.
    /// </summary>
    public static Timeline Create(Series? series, long startMs, long endMs, long stepSeconds)
    {
        stepSeconds = Math.Max(stepSeconds, 1);
        var stepMs = stepSeconds * 1000;
        startMs = startMs / stepMs * stepMs;
        endMs = endMs / stepMs * stepMs;
        var startSec = startMs / 1000;
        if (startMs >= endMs)
        {
            return new Timeline(startSec, [], stepSeconds);
        }

        var samples = new ulong[(endMs / 1000 - startSec) / stepSeconds];
        foreach (var point in series?.Points ?? [])
        {
            if (point.Timestamp < startMs || point.Timestamp >= endMs)
            {
                continue;
            }

            var index = (point.Timestamp / 1000 - startSec) / stepSeconds;
            if (index < samples.Length)
            {
                samples[index] = point.Value > 0 ? (ulong)point.Value : 0;
            }
        }

        return new Timeline(startSec, samples, stepSeconds);
    }
}
