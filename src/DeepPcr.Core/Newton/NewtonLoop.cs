using DeepPcr.Solvers;

namespace DeepPcr.Newton;

/// <summary>
/// The one Newton iteration of DeepPCR, written once for every engine and method (docs/architecture.md). At each
/// accepted iterate z the backend linearises (the Jacobian choice: exact, diagonal, scalar, none) and solves the
/// linear recurrence z_l_new = A_l z_{l-1}_new + f_l(z_{l-1}) - A_l z_{l-1} by PCR; the stopping rule measures z,
/// and the run stops keeping z (whose exact Jacobians then serve the backward pass) when it holds. Otherwise the step
/// control turns the next iterate into a trial (plain: the next iterate itself; damped: Levenberg–Marquardt; clipped:
/// a trust region), the backend evaluates it, and each sample accepts or rejects it. Every trial counts as an
/// iteration, so k plain iterations evaluate the steps k + 1 times. A rejected trial keeps z, its linearisation and
/// its measure. The safeguards watch every accepted residual: an alarm ends the run, and the caller falls back.
/// </summary>
public static class NewtonLoop
{
    /// <summary>Runs the loop from the backend's first iterate.</summary>
    /// <param name="backend">The engine, holding the start state, the guess and the steps.</param>
    /// <param name="settings">Iteration limit, stopping rule, safeguards.</param>
    /// <param name="control">How a trial is made and judged.</param>
    public static NewtonRun Run(INewtonBackend backend, NewtonSettings settings, IStepControl control)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(control);
        var residuals = new List<double>();
        var estimates = new List<double>();
        var watch = new GrowthWatch(settings.Safeguards);
        var current = backend.Start();
        residuals.Add(current.ResidualNorm);
        string? alarm = watch.Check(current.ResidualNorm);
        StopMeasure? measure = null;
        int iterations = 0, rounds = 0;
        while (alarm is null)
        {
            if (measure is null)
            {
                measure = backend.Linearize(settings.Rule);
                rounds = Math.Max(rounds, backend.PcrRounds);
                estimates.Add(measure.Estimate);
            }
            if (measure.Ratio <= 1.0) return Finish(Termination.Converged, null);
            if (iterations >= settings.MaxIterations) return Finish(Termination.IterationLimit, null);

            control.Propose(backend);
            rounds = Math.Max(rounds, backend.PcrRounds);
            iterations++;
            var trial = backend.EvaluateTrial();
            var take = control.Judge(current.Merit, trial.Merit, backend.Batch);
            if (!take.Contains(true)) continue;

            current = backend.Accept(take);
            measure = null;
            residuals.Add(current.ResidualNorm);
            alarm = watch.Check(current.ResidualNorm);
        }
        estimates.Add(double.NaN);
        return Finish(Termination.IterationLimit, alarm);

        NewtonRun Finish(Termination termination, string? why) => new(iterations, rounds, residuals, estimates, termination, why);
    }
}
