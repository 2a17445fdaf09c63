using static TorchSharp.torch;

namespace DeepPcr.Solvers;

/// <summary>The outcome of solving a chain, whichever method and engine produced it.</summary>
/// <param name="States">(L, B, w): z_1..z_L.</param>
/// <param name="Method">What actually produced the states ("auto" never appears: Auto names what it ran).</param>
/// <param name="Engine">The engine that produced the states: the Newton loop's backend, or the sequential pass's.</param>
/// <param name="Iterations">Newton or Picard iterations, summed over windows, retries and a failed attempt before a
/// fallback; 0 for the sequential pass alone.</param>
/// <param name="PcrRounds">PCR rounds per linear solve as the kernels that ran them counted them (the most in any
/// solve); 0 when none ran.</param>
/// <param name="ResidualNorms">max |f_l(z_{l-1}) - z_l| at each accepted iterate, in order (windows and attempts one after another).</param>
/// <param name="ErrorEstimates">The stopping rule's error estimate (max over states) at each accepted iterate, except that
/// each window's last entry is the estimate over the whole chain up to that window's end: the error carried from earlier
/// windows, the rounding of every state and the window's own error (docs/algorithm.md, "The error estimate").</param>
/// <param name="Termination">Converged, iteration limit, or fell back.</param>
/// <param name="Fallback">None, or the fallback that produced the states.</param>
/// <param name="FallbackReason">Why the safeguard fired, or null.</param>
/// <param name="Chunked">The linear solves ran as hybrid chunked PCR.</param>
/// <param name="Windowed">The chain was solved in sliding windows.</param>
public sealed record ChainSolution(
    Tensor States,
    ChainMethod Method,
    ChainEngine Engine,
    int Iterations,
    int PcrRounds,
    IReadOnlyList<double> ResidualNorms,
    IReadOnlyList<double> ErrorEstimates,
    Termination Termination,
    Fallback Fallback,
    string? FallbackReason = null,
    bool Chunked = false,
    bool Windowed = false)
{
    /// <summary>The name results report: "deeppcr", "deeppcr-chunked", "picard-window", "sequential", ...</summary>
    public string MethodName => SolverNames.Name(Method, Chunked, Windowed);

    /// <summary>"torch", "host" or "gpu".</summary>
    public string EngineName => Engine.Name();

    /// <summary>"none", "window" or "sequential".</summary>
    public string FallbackName => Fallback.Name();

    /// <summary>The error estimate of the accepted states over the whole chain (NaN when the method keeps none, as
    /// sequential; after a sequential fallback, the failed attempt's last estimate).</summary>
    public double FinalErrorEstimate => ErrorEstimates.Count == 0 ? double.NaN : ErrorEstimates[^1];
}

/// <summary>Helpers on <see cref="ChainSolution"/>.</summary>
internal static class ChainSolutionScope
{
    /// <summary>Moves the states out of the solver's dispose scope to the caller's.</summary>
    public static ChainSolution Adopt(this ChainSolution solution)
    {
        solution.States.MoveToOuterDisposeScope();
        return solution;
    }
}
