using DeepPcr.Chains;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Solvers.Globalization;

/// <summary>
/// The public face of a globalised method: argument checks, the starting guess, and the fallback policy of
/// <see cref="ParallelChainSolver"/> without its windowed retry. When the run raises an alarm, or (with the
/// safeguards on) ends at the iteration limit, the sequential pass produces the states and the result says so
/// (Termination FellBack, Fallback "sequential", a reason); with the safeguards off an unconverged run is
/// reported as IterationLimit. A wrong answer is never reported as converged.
/// </summary>
internal static class GlobalizedSolve
{
    /// <summary>Solves the whole chain with the given step control (windows are not supported and are ignored).</summary>
    public static ChainSolution Solve(string name, IChainStep step, Tensor input, SolverOptions? options, Func<int, IStepControl> control)
    {
        options ??= SolverOptions.Default;
        ChainInput.Validate(step, input);
        options.Validate();
        StartingGuess.Validate(step, input, options);

        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var start = input.detach();
        var attempt = GlobalizedNewton.Run(step, start, StartingGuess.For(step, start, options), options, control((int)input.shape[0]));
        string? reason = attempt.Alarm
            ?? (attempt.Termination == Termination.IterationLimit && options.Policy.Enabled
                ? $"no convergence within {attempt.Iterations} iterations" : null);
        if (reason is null)
        {
            return Result(attempt, attempt.States, name, attempt.Termination, "none", null).Adopt();
        }
        var states = SequentialPass.RunFrom(step, 0, step.Length, start);
        return Result(attempt, states, SequentialSolver.Instance.Name, Termination.FellBack, "sequential", reason).Adopt();
    }

    private static ChainSolution Result(Attempt a, Tensor states, string method, Termination termination, string fallback, string? reason) =>
        new(states, method, a.Iterations, a.PcrRounds, a.ResidualNorms, a.ErrorEstimates, termination, fallback, reason);
}
