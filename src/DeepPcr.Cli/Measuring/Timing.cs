namespace DeepPcr.Cli.Measuring;

/// <summary>The repetitions of one case, in milliseconds.</summary>
/// <param name="Label">The case's label.</param>
/// <param name="Samples">Every timed repetition, in the order run (warm-up excluded).</param>
public sealed record Timing(string Label, IReadOnlyList<double> Samples)
{
    /// <summary>The median repetition (the mean of the middle two for an even count).</summary>
    public double MedianMs => Median(Samples);

    /// <summary>The fastest repetition.</summary>
    public double MinMs => Samples.Min();

    /// <summary>The median of a non-empty list.</summary>
    public static double Median(IReadOnlyList<double> values)
    {
        if (values.Count == 0) throw new ArgumentException("No samples to take a median of.", nameof(values));
        var sorted = values.OrderBy(v => v).ToArray();
        int mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : 0.5 * (sorted[mid - 1] + sorted[mid]);
    }
}
