using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Solvers.Globalization;

/// <summary>
/// Trust-region clipping per sample (see <see cref="TrustRegionSolver"/> for the rule and why): each state's
/// Newton update d_l is scaled so that ||d_l||_inf &lt;= Delta. No extra solve: the clipped correction is the
/// bidiagonal PCR's. Delta = infinity is the undamped Newton step.
/// </summary>
internal sealed class TrustRegionControl(int batch, TrustRegionRule rule) : IStepControl
{
    private readonly double[] radius = Enumerable.Repeat(double.PositiveInfinity, batch).ToArray();
    private readonly bool[] clipped = new bool[batch];
    private double[] longest = new double[batch];

    /// <summary>The radius each sample will use next (infinity: Newton).</summary>
    public IReadOnlyList<double> Radius => radius;

    /// <inheritdoc />
    public Tensor Trial(Proposal p)
    {
        using var scope = torch.NewDisposeScope();
        var states = p.Current.States;
        var correction = p.Correction;
        var norms = correction.abs().amax(new long[] { -1 }, keepdim: true);              // (n, B, 1)
        var limit = torch.tensor(radius, dtype: ScalarType.Float64, device: states.device).view(1, -1, 1);
        var scale = torch.where(norms > limit, limit / norms.to_type(ScalarType.Float64), torch.ones_like(limit)).to_type(states.dtype);
        longest = ErrorBound.Host(norms.amax(new long[] { 0, 2 }));
        for (int b = 0; b < batch; b++) clipped[b] = longest[b] > radius[b];
        return (states + correction * scale).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public bool[] Judge(double[] merit, double[] trialMerit)
    {
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
internal sealed record TrustRegionRule(
    double NewtonGrowth = double.PositiveInfinity, double Initial = 0.25, double InitialCap = 1.0, double Grow = 2.0, double Shrink = 0.25)
{
    /// <summary>The next radius of a sample after its trial, whose longest state update (before clipping) was <paramref name="longest"/>.</summary>
    public double Next(double radius, double longest, bool clipped, bool accepted)
    {
        if (!clipped) return accepted ? radius : Math.Min(Initial * longest, InitialCap);
        return accepted ? radius * Grow : radius * Shrink;
    }
}
