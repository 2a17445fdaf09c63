namespace DeepPcr.Solvers.Globalization;

/// <summary>
/// The safeguard of <see cref="Safeguards"/> applied to the accepted iterates of a globalised method: a non-finite
/// residual, or one above K times the first for m consecutive accepted iterates, raises an alarm. Rejected trials
/// never count: rejecting them is the method's own safeguard.
/// </summary>
internal sealed class GrowthWatch(Safeguards policy)
{
    private double first = double.NaN;
    private int growth;

    /// <summary>The alarm for the next accepted residual norm, or null.</summary>
    public string? Check(double residualNorm)
    {
        if (!policy.Enabled) return null;
        if (!double.IsFinite(residualNorm)) return "non-finite residual";
        if (double.IsNaN(first)) first = residualNorm;
        growth = residualNorm > policy.GrowthFactor * first ? growth + 1 : 0;
        return growth >= policy.GrowthIterations
            ? $"residual above {policy.GrowthFactor:g} times its initial value for {growth} accepted iterates"
            : null;
    }
}
