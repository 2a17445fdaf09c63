using System.Diagnostics;

namespace DeepPcr.GpuBench.Measuring;

/// <summary>One timed case: a label and an action that queues its work and waits for the device.</summary>
/// <param name="Label">The JSON label (<c>&lt;label&gt;_ms</c>).</param>
/// <param name="Run">Runs the case once, synchronised at its end.</param>
public sealed record TimedCase(string Label, Action Run);

/// <summary>
/// The measuring harness of docs/measuring.md for device work: every case once untimed (warm-up: kernel
/// compilation, first launches), then repetitions in which every case runs once in an order rotated by one each
/// repetition, and medians. Each run is timed by the host clock around the case, which ends with a device
/// synchronisation: it counts launch overheads and host round-trips, which are what the methods differ in.
/// </summary>
public static class Interleaved
{
    /// <summary>Times the cases.</summary>
    /// <param name="cases">Cases with distinct labels.</param>
    /// <param name="repeats">Timed repetitions (at least 1).</param>
    /// <returns>The median milliseconds per label.</returns>
    public static IReadOnlyDictionary<string, double> Medians(IReadOnlyList<TimedCase> cases, int repeats)
    {
        ArgumentNullException.ThrowIfNull(cases);
        ArgumentOutOfRangeException.ThrowIfLessThan(repeats, 1);
        foreach (var c in cases) c.Run();
        var samples = cases.ToDictionary(c => c.Label, _ => new List<double>(repeats));
        for (int r = 0; r < repeats; r++)
        {
            for (int i = 0; i < cases.Count; i++)
            {
                var c = cases[(i + r) % cases.Count];
                long start = Stopwatch.GetTimestamp();
                c.Run();
                samples[c.Label].Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }
        }
        return samples.ToDictionary(p => p.Key, p => Median(p.Value));
    }

    /// <summary>The median (mean of the middle two for an even count).</summary>
    /// <param name="values">At least one value.</param>
    /// <returns>The median.</returns>
    public static double Median(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0) throw new ArgumentException("No values.", nameof(values));
        var sorted = values.Order().ToArray();
        int mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : 0.5 * (sorted[mid - 1] + sorted[mid]);
    }
}
