namespace DeepPcr.Models.Diffusion;

/// <summary>
/// The DDPM noise schedule, precomputed in float64 for t = 1..T: the linear schedule of Ho et al., beta from
/// 1e-4 to 0.02 for every T (a short T is then a less noisy chain, which is what short test chains want),
/// alpha_t = 1 - beta_t, abar_t = prod_{s &lt;= t} alpha_s, and the sampler's sigma_t = sqrt(beta_t) (no noise at t = 1).
/// Arrays are indexed by t: index 0 is unused.
/// </summary>
public sealed class NoiseSchedule
{
    /// <summary>The schedule for T steps.</summary>
    /// <exception cref="ArgumentOutOfRangeException">T &lt; 1.</exception>
    public NoiseSchedule(int steps)
    {
        if (steps < 1) throw new ArgumentOutOfRangeException(nameof(steps), $"A schedule needs at least one step (got {steps}).");
        const double start = 1e-4, end = 0.02;
        Steps = steps;
        Beta = new double[steps + 1];
        Alpha = new double[steps + 1];
        AlphaBar = new double[steps + 1];
        double product = 1;
        for (int t = 1; t <= steps; t++)
        {
            Beta[t] = steps == 1 ? start : start + (end - start) * (t - 1) / (steps - 1);
            Alpha[t] = 1 - Beta[t];
            product *= Alpha[t];
            AlphaBar[t] = product;
        }
    }

    /// <summary>T.</summary>
    public int Steps { get; }

    /// <summary>beta_t, t = 1..T.</summary>
    public double[] Beta { get; }

    /// <summary>alpha_t = 1 - beta_t.</summary>
    public double[] Alpha { get; }

    /// <summary>abar_t = alpha_1 ... alpha_t.</summary>
    public double[] AlphaBar { get; }

    /// <summary>sigma_t: sqrt(beta_t), and 0 at t = 1.</summary>
    public double Sigma(int t) => t == 1 ? 0 : Math.Sqrt(Beta[t]);

    /// <summary>beta_t / sqrt(1 - abar_t), the weight of the predicted noise in the mean.</summary>
    public double NoiseWeight(int t) => Beta[t] / Math.Sqrt(1 - AlphaBar[t]);
}
