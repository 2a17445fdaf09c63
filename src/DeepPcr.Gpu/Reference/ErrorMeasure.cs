namespace DeepPcr.Gpu.Reference;

/// <summary>The error figure of docs/measuring.md: max |delta| / max |ref| over all values compared at once.</summary>
public static class ErrorMeasure
{
    /// <summary>max_i |actual_i - reference_i| / max_i |reference_i| over every pair of arrays together.</summary>
    /// <param name="actual">Arrays of values (any lengths, matching <paramref name="reference"/>).</param>
    /// <param name="reference">The reference arrays.</param>
    /// <returns>The pooled relative error; infinity when a value is not finite; the absolute error when every reference value is 0.</returns>
    /// <exception cref="ArgumentException">The arrays do not pair up.</exception>
    public static double PooledRelative(IReadOnlyList<double[]> actual, IReadOnlyList<double[]> reference)
    {
        ArgumentNullException.ThrowIfNull(actual);
        ArgumentNullException.ThrowIfNull(reference);
        if (actual.Count != reference.Count) throw new ArgumentException("actual and reference hold different numbers of arrays.");
        double maxDelta = 0, maxRef = 0;
        for (int t = 0; t < actual.Count; t++)
        {
            if (actual[t].LongLength != reference[t].LongLength) throw new ArgumentException($"Array {t}: {actual[t].LongLength} values against {reference[t].LongLength}.");
            for (long i = 0; i < actual[t].LongLength; i++)
            {
                double delta = Math.Abs(actual[t][i] - reference[t][i]);
                if (!double.IsFinite(delta)) return double.PositiveInfinity;
                maxDelta = Math.Max(maxDelta, delta);
                maxRef = Math.Max(maxRef, Math.Abs(reference[t][i]));
            }
        }
        return maxRef > 0 ? maxDelta / maxRef : maxDelta;
    }

    /// <summary>The pooled relative error of one array.</summary>
    /// <param name="actual">The values.</param>
    /// <param name="reference">The reference values.</param>
    /// <returns>max |delta| / max |ref|.</returns>
    public static double PooledRelative(double[] actual, double[] reference) => PooledRelative([actual], [reference]);
}
