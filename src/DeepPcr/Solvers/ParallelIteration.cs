using DeepPcr.Chains;
using DeepPcr.Linear;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Solvers;

/// <summary>
/// One run of a parallel method over a run of steps, in the DEER form of DESIGN.md section 1.1:
/// z_l_new = A_l z_{l-1}_new + (f_l(z_{l-1}) - A_l z_{l-1}), z_0_new = the start state, solved by PCR.
/// Each iterate costs one batched evaluation of all its steps and, unless A = 0, one Jacobian and one PCR
/// solve; k iterations evaluate the steps k + 1 times (the last evaluation checks the stopping rule).
/// </summary>
internal static class ParallelIteration
{
    public static Attempt Run(
        IChainStep step, Linearization linearization, int first, int count, Tensor start, Tensor guess,
        SolverOptions options, double[]? carriedError)
    {
        if (HostNewton.Applies(step, linearization, start))
        {
            // The states are made in the caller's dispose scope, as the tensor path leaves them.
            return HostNewton.Run((IHostChainStep)step, first, count, start, guess, options);
        }
        using var outer = torch.NewDisposeScope();
        var structure = linearization.StructureFor(step);
        int maxIterations = options.MaxIterations ?? count;
        double atol = options.Atol(start.dtype), rtol = options.Rtol(start.dtype);
        var policy = options.Policy;
        var residuals = new List<double>();
        var estimates = new List<double>();
        int chunk = structure is null ? 0 : options.ChunkFor(count, (int)start.shape[0], step.Width, structure);
        int rounds = structure is null ? 0 : chunk > 0 ? ChunkedPcr.RoundsFor(count, chunk) : ParallelCyclicReduction.RoundsFor(count);
        int growth = 0;
        Tensor z = guess.detach().clone();
        Tensor? previousInputs = null, previousOutputs = null;

        for (int iteration = 0; ; iteration++)
        {
            using var scope = torch.NewDisposeScope();
            var inputs = Shift(start, z);
            var outputs = step.Evaluate(first, inputs);
            var residual = (outputs - z).abs_();
            bool scan = !linearization.UpdateEstimatesError;
            var rowResidual = scan ? residual.amax(new long[] { -1 }) : null;   // (n, B), for the error-bound scan only
            double residualNorm = (rowResidual ?? residual).max().ToDouble();
            residuals.Add(residualNorm);

            string? alarm = policy.Enabled ? Alarm(residualNorm, residuals, policy, ref growth) : null;
            if (alarm is not null)
            {
                estimates.Add(double.NaN);
                return Finish(z, iteration, rounds, residuals, estimates, Termination.IterationLimit, alarm, carriedError);
            }

            Tensor next;
            if (structure is null)
            {
                next = outputs;
            }
            else
            {
                var blocks = linearization.Blocks(step, first, inputs)!;
                next = NewtonStep(structure, blocks, inputs, outputs, z, start, residualNorm, chunk);
            }

            double ratio, estimate;
            double[]? final = null;
            if (!scan)
            {
                var update = (next - z).abs_();
                ratio = update.div(z.abs().mul_(rtol).add_(atol)).max().ToDouble();
                estimate = update.max().ToDouble();
                // The last state's error is carried into the next window only.
                if (first + count < step.Length) final = ErrorBound.Host(update.select(0, count - 1).amax(new long[] { -1 }));
            }
            else
            {
                var stateNorm = z.abs().amax(new long[] { -1 });                // (n, B)
                var gains = Gains(inputs, outputs, previousInputs, previousOutputs);
                (ratio, estimate, final) = ErrorBound.Scan(rowResidual!, gains, stateNorm, carriedError, atol, rtol);
            }
            estimates.Add(estimate);

            if (ratio <= 1.0)
            {
                return Finish(z, iteration, rounds, residuals, estimates, Termination.Converged, null, final);
            }
            if (iteration >= maxIterations)
            {
                return Finish(z, iteration, rounds, residuals, estimates, Termination.IterationLimit, null, final);
            }

            if (scan)
            {
                previousInputs?.Dispose();
                previousOutputs?.Dispose();
                previousInputs = inputs.MoveToOuterDisposeScope();
                previousOutputs = outputs.MoveToOuterDisposeScope();
            }
            var old = z;
            z = next.MoveToOuterDisposeScope();
            old.Dispose();
        }
    }

    /// <summary>
    /// One Newton (or quasi-Newton) step: the solution of z_l_new = A_l z_{l-1}_new + f_l(z_{l-1}) - A_l z_{l-1}.
    /// While the iterate is finite it is computed as z + d with d_l = A_l d_{l-1} + r_l, d_0 = 0: the same
    /// iterate, but PCR's rounding then scales with the small correction d rather than with |A z| (in float32
    /// the DEER form's sums left 1e-4 differences on a 1000-step diffusion chain, the correction form 1e-6).
    /// Once a value is non-finite it uses the DEER form, which never reads z_l for row l and so recovers
    /// (z + d would stay NaN forever).
    /// </summary>
    private static Tensor NewtonStep(BlockStructure structure, Tensor blocks, Tensor inputs, Tensor outputs, Tensor z, Tensor start, double residualNorm, int chunk)
    {
        PcrSolution Solve(LinearRecurrence r) =>
            chunk > 0 && ParallelCyclicReduction.UsesHostKernel(r) ? ChunkedPcr.SolveUnchecked(r, chunk) : ParallelCyclicReduction.SolveUnchecked(r);
        if (double.IsFinite(residualNorm))
        {
            var correction = Solve(new LinearRecurrence(structure, blocks, outputs - z, torch.zeros_like(start))).States;
            var next = z + correction;
            if (next.isfinite().all().item<bool>()) return next;
        }
        var c = outputs - structure.Apply(blocks, inputs);
        return Solve(new LinearRecurrence(structure, blocks, c, start)).States;
    }

    /// <summary>(n, B, w): the inputs of the steps, the start state followed by all but the last state.</summary>
    internal static Tensor Shift(Tensor start, Tensor states) =>
        states.shape[0] == 1 ? start.unsqueeze(0) : torch.cat(new[] { start.unsqueeze(0), states.narrow(0, 0, states.shape[0] - 1) }, 0);

    internal static string? Alarm(double residualNorm, List<double> residuals, Safeguards policy, ref int growth)
    {
        if (!double.IsFinite(residualNorm)) return "non-finite residual";
        growth = residualNorm > policy.GrowthFactor * residuals[0] ? growth + 1 : 0;
        return growth >= policy.GrowthIterations
            ? $"residual above {policy.GrowthFactor:g} times its initial value for {growth} iterations"
            : null;
    }

    /// <summary>
    /// (n, B): the secant estimate of each step's gain from the last two iterates,
    /// ||f(z) - f(z')|| / ||z - z'||; infinity where no earlier iterate exists yet, 0 where the input did not move.
    /// </summary>
    private static Tensor Gains(Tensor inputs, Tensor outputs, Tensor? previousInputs, Tensor? previousOutputs)
    {
        if (previousInputs is null || previousOutputs is null)
        {
            return torch.full(new long[] { inputs.shape[0], inputs.shape[1] }, double.PositiveInfinity, dtype: ScalarType.Float64);
        }
        var moved = (inputs - previousInputs).abs().amax(new long[] { -1 });
        var changed = (outputs - previousOutputs).abs().amax(new long[] { -1 });
        return torch.where(moved > 0, changed / moved, torch.zeros_like(moved));
    }

    private static Attempt Finish(
        Tensor z, int iterations, int rounds, List<double> residuals, List<double> estimates,
        Termination termination, string? alarm, double[]? final)
    {
        var states = z.MoveToOuterDisposeScope();
        return new Attempt(states, iterations, rounds, residuals, estimates, termination, alarm,
            final ?? new double[states.shape[1]]);
    }
}
