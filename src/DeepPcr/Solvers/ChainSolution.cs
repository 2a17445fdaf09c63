using static TorchSharp.torch;

namespace DeepPcr.Solvers;

/// <summary>The outcome of solving a chain, whichever method produced it.</summary>
/// <param name="States">(L, B, w): z_1..z_L.</param>
/// <param name="Method">What actually produced the states: "sequential", "deeppcr", "quasi-newton-diagonal",
/// "quasi-newton-scalar", "picard", "elk", "deeppcr-trust-region", "auto" never (Auto names what it ran); "-chunked" when the
/// linear solves used chunked PCR, "-window" when windowed.</param>
/// <param name="Iterations">Newton or Picard iterations (summed over windows); 0 for sequential.</param>
/// <param name="PcrRounds">PCR rounds per linear solve: ceil(log2 n) for n rows solved at once; 0 when none ran.</param>
/// <param name="ResidualNorms">max |f_l(z_{l-1}) - z_l| at each iterate, in order (windows one after another).</param>
/// <param name="ErrorEstimates">The stopping rule's error estimate (max over states) at each iterate.</param>
/// <param name="Termination">Converged, iteration limit, or fell back.</param>
/// <param name="Fallback">"none", or the fallback that produced the states ("window", "sequential").</param>
/// <param name="FallbackReason">Why the safeguard fired, or null.</param>
public sealed record ChainSolution(
    Tensor States,
    string Method,
    int Iterations,
    int PcrRounds,
    IReadOnlyList<double> ResidualNorms,
    IReadOnlyList<double> ErrorEstimates,
    Termination Termination,
    string Fallback,
    string? FallbackReason = null)
{
    /// <summary>The error estimate of the accepted states (NaN when the method keeps none, as sequential).</summary>
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
