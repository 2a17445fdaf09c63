namespace DeepPcr.Newton;

/// <summary>
/// Trust-region clipping per sample ("deeppcr-trust-region"; the rule and why are in TrustRegionSolver's remarks): each
/// state's Newton update d_l is scaled so that ||d_l||_inf &lt;= Delta. No extra solve. Delta = infinity is the Newton step.
/// </summary>
/// <param name="batch">B.</param>
/// <param name="rule">The numbers of the rule.</param>
/// <param name="cutBound">The Newton trial's cut bound (<see cref="CutBounds.For"/>).</param>
public sealed class ClippedStep(int batch, TrustRegionRule rule, double cutBound) : IStepControl
{
    private readonly double[] radius = Enumerable.Repeat(double.PositiveInfinity, batch).ToArray();
    private readonly bool[] clipped = new bool[batch];
    private IReadOnlyList<double> longest = new double[batch];

    /// <summary>The radius each sample will use next (infinity: Newton).</summary>
    public IReadOnlyList<double> Radius => radius;

    /// <inheritdoc />
    public bool NeedsMerit => true;

    /// <inheritdoc />
    public void Propose(INewtonBackend backend)
    {
        longest = backend.ProposeClipped(radius, cutBound);
        for (int b = 0; b < batch; b++) clipped[b] = longest[b] > radius[b];
    }

    /// <inheritdoc />
    public bool[] Judge(IReadOnlyList<double>? merit, IReadOnlyList<double>? trialMerit, int batch)
    {
        ArgumentNullException.ThrowIfNull(merit);
        ArgumentNullException.ThrowIfNull(trialMerit);
        var take = new bool[batch];
        for (int b = 0; b < batch; b++)
        {
            take[b] = clipped[b]
                ? trialMerit[b] < merit[b]
                : double.IsFinite(trialMerit[b]) && trialMerit[b] <= rule.NewtonGrowth * merit[b];
            radius[b] = rule.Next(radius[b], longest[b], clipped[b], take[b]);
        }
        return take;
    }
}

/// <summary>The numbers of the trust-region rule.</summary>
/// <param name="NewtonGrowth">An unclipped step is accepted when finite and its merit is at most this many times the current one.</param>
/// <param name="Initial">Delta after a rejected unclipped step, at most this fraction of its longest state update.</param>
/// <param name="InitialCap">and at most this absolute radius.</param>
/// <param name="Grow">Delta is multiplied by this after an accepted clipped step.</param>
/// <param name="Shrink">Delta is multiplied by this after a rejected clipped step.</param>
public sealed record TrustRegionRule(
    double NewtonGrowth = double.PositiveInfinity, double Initial = 0.25, double InitialCap = 1.0, double Grow = 2.0, double Shrink = 0.25)
{
    /// <summary>The next radius of a sample after its trial, whose longest state update (before clipping) was <paramref name="longest"/>.</summary>
    public double Next(double radius, double longest, bool clipped, bool accepted)
    {
        if (!clipped) return accepted ? radius : Math.Min(Initial * longest, InitialCap);
        return accepted ? radius * Grow : radius * Shrink;
    }
}
