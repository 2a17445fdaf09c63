namespace DeepPcr.Newton;

/// <summary>
/// Levenberg–Marquardt damping per sample, as ELK does it ("elk"; the rule and why are in DampedNewtonSolver's remarks).
/// lambda = 0 is the undamped Newton step cut at the first overflowing or runaway row, accepted whenever finite;
/// lambda &gt; 0 solves (J^T J + lambda I) d = J^T r, accepted when the merit ||r||^2 decreases.
/// </summary>
/// <param name="batch">B.</param>
/// <param name="rule">The numbers of the rule.</param>
/// <param name="cutBound">How large a new state may grow, in units of the chain's scale, before the Newton trial is cut
/// (<see cref="CutBounds.For"/>).</param>
public sealed class DampedStep(int batch, LevenbergMarquardtRule rule, double cutBound) : IStepControl
{
    private readonly double[] lambda = new double[batch];
    private readonly bool[] damped = new bool[batch];

    /// <summary>The damping each sample will use next (0: Newton).</summary>
    public IReadOnlyList<double> Lambda => lambda;

    /// <inheritdoc />
    public bool NeedsMerit => true;

    /// <inheritdoc />
    public void Propose(INewtonBackend backend)
    {
        for (int b = 0; b < batch; b++) damped[b] = lambda[b] > 0;
        backend.ProposeDamped(lambda, cutBound);
    }

    /// <inheritdoc />
    public bool[] Judge(IReadOnlyList<double>? merit, IReadOnlyList<double>? trialMerit, int batch)
    {
        ArgumentNullException.ThrowIfNull(merit);
        ArgumentNullException.ThrowIfNull(trialMerit);
        var take = new bool[batch];
        for (int b = 0; b < batch; b++)
        {
            take[b] = damped[b]
                ? trialMerit[b] < merit[b]
                : double.IsFinite(trialMerit[b]) && trialMerit[b] <= rule.NewtonGrowth * merit[b];
            lambda[b] = rule.Next(lambda[b], damped[b], take[b]);
        }
        return take;
    }
}

/// <summary>The numbers of the damping rule.</summary>
/// <param name="NewtonGrowth">An undamped step is accepted when finite and its merit is at most this many times the current one.</param>
/// <param name="Initial">lambda after a rejected undamped step.</param>
/// <param name="Decrease">lambda is divided by this after an accepted damped step.</param>
/// <param name="Increase">lambda is multiplied by this after a rejected damped step.</param>
/// <param name="Floor">Below this, lambda returns to 0 (the undamped step).</param>
public sealed record LevenbergMarquardtRule(
    double NewtonGrowth = double.PositiveInfinity, double Initial = 1.0, double Decrease = 3.0, double Increase = 4.0, double Floor = 1e-6)
{
    /// <summary>The next lambda of a sample after its trial.</summary>
    public double Next(double lambda, bool damped, bool accepted)
    {
        if (!damped) return accepted ? 0.0 : Initial;
        if (!accepted) return lambda * Increase;
        double next = lambda / Decrease;
        return next < Floor ? 0.0 : next;
    }
}

/// <summary>The cut bound of the damped and clipped steps.</summary>
public static class CutBounds
{
    /// <summary>
    /// How large a new state may grow, in units of the chain's scale, before the Newton trial is cut there: an order
    /// below the growth alarm (K / 10) when the safeguards are on, so that accepted iterates stay clear of it;
    /// unbounded (only overflow cuts) when they are off.
    /// </summary>
    public static double For(Solvers.Safeguards policy) => policy.Enabled ? Math.Max(1.0, policy.GrowthFactor / 10) : double.PositiveInfinity;
}
