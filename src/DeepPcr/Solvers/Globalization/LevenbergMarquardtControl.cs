using DeepPcr.Linear;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Solvers.Globalization;

/// <summary>
/// Levenberg–Marquardt damping per sample (see <see cref="DampedNewtonSolver"/> for the rule and why).
/// lambda = 0 is the undamped Newton step, taken from the bidiagonal PCR's correction; lambda &gt; 0 solves
/// (J^T J + lambda I) d = J^T r by the block-tridiagonal PCR.
/// </summary>
internal sealed class LevenbergMarquardtControl(int batch, LevenbergMarquardtRule rule) : IStepControl
{
    private readonly double[] lambda = new double[batch];
    private readonly bool[] damped = new bool[batch];

    /// <summary>The damping each sample will use next (0: Newton).</summary>
    public IReadOnlyList<double> Lambda => lambda;

    /// <inheritdoc />
    public Tensor Trial(Proposal p)
    {
        using var scope = torch.NewDisposeScope();
        for (int b = 0; b < batch; b++) damped[b] = lambda[b] > 0;
        var states = p.Current.States;
        var newton = states + p.Correction;
        if (!damped.Any(d => d)) return newton.MoveToOuterDisposeScope();

        long width = states.shape[2];
        var dense = NormalEquations.Dense(p.Jacobians, p.Structure.Kind, width);
        var system = NormalEquations.Build(dense, p.Current.Residual, lambda);
        var step = BlockTridiagonalPcr.SolveUnchecked(system).States;
        var mask = torch.tensor(damped, device: states.device).view(1, -1, 1);
        return torch.where(mask, states + step, newton).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public bool[] Judge(double[] merit, double[] trialMerit)
    {
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
internal sealed record LevenbergMarquardtRule(
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
