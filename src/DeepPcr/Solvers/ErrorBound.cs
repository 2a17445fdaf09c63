using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Solvers;

/// <summary>
/// The error-bound scan of DESIGN.md section 1.1 for methods whose update is not an error estimate
/// (quasi-Newton, Picard): e_l = k_l e_{l-1} + ||r_l||, e_0 = the error carried into the run, with k_l
/// an estimate of the step's gain. It is a scalar recurrence per sample over L rows, run on the host:
/// O(L B) additions, negligible beside one batched step evaluation.
/// </summary>
internal static class ErrorBound
{
    /// <summary>
    /// The largest ratio e_l / (atol + rtol ||z_l||) and the largest e_l over all rows and samples.
    /// </summary>
    /// <param name="residualNorms">(n, B): ||r_l||_inf.</param>
    /// <param name="gains">(n, B): k_l.</param>
    /// <param name="stateNorms">(n, B): ||z_l||_inf.</param>
    /// <param name="carried">(B): the error bound of the run's start state, or null for an exact start.</param>
    /// <param name="atol">Absolute tolerance.</param>
    /// <param name="rtol">Relative tolerance.</param>
    public static (double WorstRatio, double MaxError, double[] Final) Scan(
        Tensor residualNorms, Tensor gains, Tensor stateNorms, double[]? carried, double atol, double rtol)
    {
        int n = (int)residualNorms.shape[0], batch = (int)residualNorms.shape[1];
        double[] r = Host(residualNorms), k = Host(gains), z = Host(stateNorms);
        var e = carried is null ? new double[batch] : (double[])carried.Clone();
        double worst = 0, max = 0;
        for (int l = 0; l < n; l++)
        {
            for (int b = 0; b < batch; b++)
            {
                int i = l * batch + b;
                double prior = e[b] == 0 ? 0 : k[i] * e[b]; // 0 * inf stays 0: an exact prefix carries no error
                e[b] = prior + r[i];
                double ratio = e[b] / (atol + rtol * z[i]);
                if (!(ratio <= worst)) worst = ratio; // NaN propagates as "not converged"
                if (!(e[b] <= max)) max = e[b];
            }
        }
        return (worst, max, e);
    }

    /// <summary>The values of a tensor of any float dtype and device, as float64 on the host.</summary>
    internal static double[] Host(Tensor t)
    {
        using var d = t.detach().to_type(ScalarType.Float64).cpu().contiguous();
        return d.data<double>().ToArray();
    }
}
