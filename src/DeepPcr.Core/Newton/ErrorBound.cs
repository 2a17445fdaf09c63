namespace DeepPcr.Newton;

/// <summary>
/// The error-bound scan of the stopping rule for methods whose update is not an error estimate (quasi-Newton,
/// Picard; docs/design.md section 1.1): e_l = k_l e_{l-1} + ||r_l||, e_0 = the error carried into the run, with k_l
/// an estimate of the step's gain. A scalar recurrence per sample over the n rows: O(n B) additions, negligible
/// beside one batched evaluation of the steps.
/// </summary>
public static class ErrorBound
{
    /// <summary>The largest ratio e_l / (atol + rtol ||z_l||), the largest e_l, and each sample's e_n.</summary>
    /// <param name="residualNorms">(n, B) row-major: ||r_l||_inf.</param>
    /// <param name="gains">(n, B): k_l.</param>
    /// <param name="stateNorms">(n, B): ||z_l||_inf.</param>
    /// <param name="batch">B.</param>
    /// <param name="carried">(B): the error bound of the run's start state, or null for an exact start.</param>
    /// <param name="rule">The tolerances.</param>
    public static ErrorScan Scan(
        ReadOnlySpan<double> residualNorms, ReadOnlySpan<double> gains, ReadOnlySpan<double> stateNorms, int batch,
        IReadOnlyList<double>? carried, StoppingRule rule)
    {
        int n = residualNorms.Length / batch;
        var e = new double[batch];
        if (carried is not null)
        {
            for (int b = 0; b < batch; b++) e[b] = carried[b];
        }
        double worst = 0, max = 0;
        for (int l = 0; l < n; l++)
        {
            for (int b = 0; b < batch; b++)
            {
                int i = l * batch + b;
                double prior = e[b] == 0 ? 0 : gains[i] * e[b]; // 0 * inf stays 0: an exact prefix carries no error
                e[b] = prior + residualNorms[i];
                double ratio = rule.Ratio(e[b], stateNorms[i]);
                if (!(ratio <= worst)) worst = ratio; // NaN propagates as "not converged"
                if (!(e[b] <= max)) max = e[b];
            }
        }
        return new ErrorScan(worst, max, e);
    }
}

/// <summary>What the error-bound scan found.</summary>
/// <param name="Ratio">The largest e_l / (atol + rtol ||z_l||).</param>
/// <param name="Max">The largest e_l.</param>
/// <param name="Final">(B): each sample's e_n, the bound of its last state.</param>
public sealed record ErrorScan(double Ratio, double Max, double[] Final)
{
    /// <summary>The scan as the stopping rule's measure.</summary>
    public StopMeasure Measure => new(Ratio, Max);
}
