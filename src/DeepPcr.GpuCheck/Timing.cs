using System.Diagnostics;

namespace DeepPcr.GpuCheck;

/// <summary>Wall-clock timing helpers for the check's measurements.</summary>
public static class Timing
{
    /// <summary>Milliseconds that <paramref name="action"/> takes, once.</summary>
    /// <param name="action">What to time (it must synchronise itself).</param>
    /// <returns>Elapsed milliseconds.</returns>
    public static double Milliseconds(Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        long start = Stopwatch.GetTimestamp();
        action();
        return Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    }

    /// <summary>Runs <paramref name="action"/> <paramref name="repetitions"/> times and returns the median time.</summary>
    /// <param name="action">What to time (it must synchronise itself).</param>
    /// <param name="repetitions">How many timed runs (at least 1).</param>
    /// <returns>The median of the runs, in milliseconds.</returns>
    public static double MedianMilliseconds(Action action, int repetitions)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(repetitions, 1);
        var times = new double[repetitions];
        for (int i = 0; i < repetitions; i++)
            times[i] = Milliseconds(action);
        return Median(times);
    }

    /// <summary>The median of <paramref name="values"/> (the mean of the two middle ones for an even count).</summary>
    /// <param name="values">At least one value.</param>
    /// <returns>The median.</returns>
    public static double Median(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0)
            throw new ArgumentException("No values.", nameof(values));
        var sorted = values.Order().ToArray();
        int mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : 0.5 * (sorted[mid - 1] + sorted[mid]);
    }

    /// <summary>Rounds a time or rate for the JSON output.</summary>
    /// <param name="value">The value.</param>
    /// <returns>The value rounded to 4 decimals.</returns>
    public static double Round(double value) => Math.Round(value, 4);
}
