using DeepPcr.Solvers;

namespace DeepPcr.Newton;

/// <summary>
/// The safeguard of <see cref="Safeguards"/> applied to the accepted iterates: a non-finite residual, or one above
/// K times the first for m consecutive accepted iterates, raises an alarm. Rejected trials of a damped or clipped
/// step never count: rejecting them is the step control's own safeguard.
/// </summary>
public sealed class GrowthWatch(Safeguards policy)
{
    private double first = double.NaN;
    private int growth;

    /// <summary>The alarm for the next accepted residual norm, or null.</summary>
    /// <param name="residualNorm">max |f_l(z_{l-1}) - z_l| of the accepted iterate.</param>
    public string? Check(double residualNorm)
    {
        if (!policy.Enabled) return null;
        if (!double.IsFinite(residualNorm)) return "non-finite residual";
        if (double.IsNaN(first)) first = residualNorm;
        growth = residualNorm > policy.GrowthFactor * first ? growth + 1 : 0;
        return growth >= policy.GrowthIterations
            ? $"residual above {policy.GrowthFactor:g} times its initial value for {growth} iterations"
            : null;
    }
}
