using DeepPcr.Chains;
using DeepPcr.Linear;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Solvers.Globalization;

/// <summary>
/// The iteration shared by the damped and trust-region methods. At each accepted iterate z it builds the exact
/// Jacobians and the undamped Newton correction d (<see cref="NewtonCorrection"/>: bidiagonal PCR); d is the error estimate, so
/// the run stops, keeping z, when |d| &lt;= atol + rtol |z| everywhere (as exact Newton in <see cref="ParallelIteration"/>).
/// Otherwise the step control turns d, cut at each sample's first overflowing or runaway row, into a trial, the chain is evaluated there, and each sample accepts or
/// rejects its trial by its merit ||r||^2. Every trial counts as an iteration (one evaluation and at least one
/// linear solve) whether accepted or not; a rejected trial keeps z, its Jacobians and its correction.
/// ResidualNorms and ErrorEstimates hold one entry per accepted iterate.
/// </summary>
internal static class GlobalizedNewton
{
    /// <summary>Runs the iteration over the whole chain from <paramref name="guess"/>.</summary>
    /// <param name="step">The chain.</param>
    /// <param name="start">(B, w): z_0.</param>
    /// <param name="guess">(L, B, w): the first iterate; adopted.</param>
    /// <param name="options">Tolerances, iteration limit (null: 2L) and safeguards.</param>
    /// <param name="control">Damping or clipping, with its per-sample state.</param>
    public static Attempt Run(IChainStep step, Tensor start, Tensor guess, SolverOptions options, IStepControl control)
    {
        using var outer = torch.NewDisposeScope();
        var structure = BlockStructure.For(step.JacobianStructure);
        int maxIterations = options.MaxIterations ?? 2 * step.Length;
        int rounds = ParallelCyclicReduction.RoundsFor(step.Length);
        var residuals = new List<double>();
        var estimates = new List<double>();
        var iterate = Iterate.At(step, start, guess);
        var watch = new GrowthWatch(options.Policy);
        string? alarm = watch.Check(Record(iterate, residuals));
        Tensor? jacobians = null, correction = null;
        double ratio = double.PositiveInfinity;
        int iterations = 0;
        while (alarm is null)
        {
            if (correction is null)
            {
                jacobians = AutogradJacobian.Of(step, 0, iterate.Inputs);
                var full = NewtonCorrection.Of(structure, jacobians, iterate, start);
                (ratio, double estimate) = StopRatio(full, iterate.States, options);
                estimates.Add(estimate);
                correction = NewtonCorrection.Cut(full, iterate, start, CutBound(options.Policy));
                full.Dispose();
            }
            if (ratio <= 1.0) return Finish(iterate, iterations, rounds, residuals, estimates, Termination.Converged, null);
            if (iterations >= maxIterations) break;

            var trialStates = control.Trial(new Proposal(iterate, jacobians!, structure, correction));
            iterations++;
            using var trial = Iterate.At(step, start, trialStates);
            bool[] take = control.Judge(iterate.Merit, trial.Merit);
            if (!take.Any(t => t)) continue;

            var accepted = iterate.Merge(trial, take);
            iterate.Dispose();
            iterate = accepted;
            jacobians!.Dispose();
            correction.Dispose();
            correction = null;
            alarm = watch.Check(Record(iterate, residuals));
        }
        if (alarm is not null) estimates.Add(double.NaN);
        return Finish(iterate, iterations, rounds, residuals, estimates, Termination.IterationLimit, alarm);
    }

    /// <summary>
    /// How large a new state may grow, in units of the chain's scale, before the Newton trial is cut there: an
    /// order below the growth alarm (K / 10) when the safeguards are on, so that accepted iterates stay clear of it;
    /// unbounded (only overflow cuts) when they are off.
    /// </summary>
    internal static double CutBound(Safeguards policy) => policy.Enabled ? Math.Max(1.0, policy.GrowthFactor / 10) : double.PositiveInfinity;

    private static double Record(Iterate iterate, List<double> residuals)
    {
        double norm = iterate.ResidualNorm;
        residuals.Add(norm);
        return norm;
    }

    /// <summary>max |d| / (atol + rtol |z|) (NaN or infinity when d is not finite) and max |d|.</summary>
    private static (double Ratio, double Estimate) StopRatio(Tensor correction, Tensor states, SolverOptions options)
    {
        using var scope = torch.NewDisposeScope();
        double atol = options.Atol(states.dtype), rtol = options.Rtol(states.dtype);
        var update = correction.abs();
        double ratio = update.div(states.abs().mul_(rtol).add_(atol)).max().ToDouble();
        return (ratio, update.max().ToDouble());
    }

    private static Attempt Finish(
        Iterate iterate, int iterations, int rounds, List<double> residuals, List<double> estimates,
        Termination termination, string? alarm)
    {
        var states = iterate.States.detach().clone().MoveToOuterDisposeScope();
        return new Attempt(states, iterations, rounds, residuals, estimates, termination, alarm, new double[states.shape[1]]);
    }
}
